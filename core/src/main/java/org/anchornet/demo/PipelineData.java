package org.anchornet.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageFolder;
import org.anchornet.data.Transforms;
import org.anchornet.train.TrainingSettings;

/**
 * The images one pipeline run trains on, fits thresholds on and scores on, and how they are read: the generated
 * Cluttered Fashion-MNIST canvases of the demo, or a user's ImageFolder tree. Everything else in the pipeline is the
 * same whatever the data.
 *
 * @param train the training images
 * @param val what networks are selected and thresholds fit on
 * @param test what every figure is scored on; never an image of {@code val}
 * @param testSource what {@code test} is, in words, for the report (a tree without {@code test/} scores on a held-out
 *     share of {@code val/})
 * @param evalResize the shorter side before the centre crop at evaluation (the canvas itself for generated data;
 *     256 for 224 px photos, as torchvision's reference does)
 * @param augment the training transform: flips for canvases, whose framing carries where the item is; random
 *     resized crops and flips for photos, as the reference trains
 * @param benchData arguments that make {@code bench} read the same test images in a fresh process
 */
record PipelineData(ImageDataset train, ImageDataset val, ImageDataset test, String testSource, List<String> classes,
        int evalResize, TrainingSettings.Augment augment, Map<String, Object> provenance, List<String> benchData) {

    /** The share of {@code val/} held out as the test set when a tree has no {@code test/}. */
    static final int HELD_OUT_EVERY = 2;

    /** The demo's data: canvases generated from Fashion-MNIST for the run's seed (the test canvases fixed). */
    static PipelineData generated(DemoSettings s) throws IOException {
        FashionMnist fashion = FashionMnist.locate(s.fashionMnistDir());
        ClutteredFashionMnist.checkDisjoint(s.trainSize(), s.valSize(), fashion);
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("dataset", "cluttered-fashion-mnist");
        provenance.put("canvas", s.canvas());
        provenance.put("train", s.trainSize());
        provenance.put("val", s.valSize());
        provenance.put("test", s.testSize());
        provenance.put("seed", s.seed());
        provenance.put("test_seed", s.testSeed());
        List<String> bench = new ArrayList<>(List.of("--test-size", Integer.toString(s.testSize()), "--canvas",
                Integer.toString(s.canvas()), "--data-seed", Long.toString(s.testSeed())));
        if (s.fashionMnistDir() != null) {
            bench.addAll(List.of("--fashion-mnist-dir", s.fashionMnistDir().toString()));
        }
        return new PipelineData(canvases(fashion, ClutteredFashionMnist.Split.TRAIN, s.trainSize(), s.seed(), s),
                canvases(fashion, ClutteredFashionMnist.Split.VAL, s.valSize(), s.seed(), s),
                canvases(fashion, ClutteredFashionMnist.Split.TEST, s.testSize(), s.testSeed(), s),
                s.testSize() + " generated test canvases", FashionMnist.CLASSES, s.canvas(),
                TrainingSettings.Augment.FLIP, provenance, bench);
    }

    private static ImageDataset canvases(FashionMnist fashion, ClutteredFashionMnist.Split split, int count, long seed,
            DemoSettings s) {
        ClutteredFashionMnist.Config base = ClutteredFashionMnist.Config.defaults(seed);
        return new ClutteredFashionMnist(fashion, split, count, new ClutteredFashionMnist.Config(s.canvas(),
                base.scale(), base.distractors(), base.fragment(), base.noise(), seed));
    }

    /**
     * A user's ImageFolder tree: {@code train/} and {@code val/} required, {@code test/} optional. Every split must
     * name the same classes as {@code train/}, checked before any training, with the missing or extra class named.
     * Without {@code test/}, every {@value #HELD_OUT_EVERY}nd image of {@code val/} (in file order) is held out as the
     * test set and the rest selects networks and fits thresholds, so no figure is scored on an image it was fit on.
     */
    static PipelineData folder(Path root, int inputSize) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + ": no such folder (expected " + root + "/{train,val}/<class>/<image>)");
        }
        ImageFolder train = split(root, "train");
        int[] perClass = new int[train.classNames().size()];
        for (int i = 0; i < train.size(); i++) {
            perClass[train.label(i)]++;
        }
        for (int c = 0; c < perClass.length; c++) {
            if (perClass[c] == 0) { // nothing could teach it, and it would still be predicted
                throw new IOException(root.resolve("train").resolve(train.classNames().get(c)) + ": a class folder"
                        + " without image files (" + ImageFolder.EXTENSIONS + ")");
            }
        }
        ImageFolder val = split(root, "val");
        requireSameClasses(train, val, "val");
        ImageDataset fit;
        ImageDataset test;
        String testSource;
        if (Files.isDirectory(root.resolve("test"))) {
            ImageFolder t = split(root, "test");
            requireSameClasses(train, t, "test");
            fit = val;
            test = t;
            testSource = "test/ (" + t.size() + " images)";
        } else {
            List<Integer> keep = new ArrayList<>();
            List<Integer> held = new ArrayList<>();
            for (int i = 0; i < val.size(); i++) {
                (i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 ? held : keep).add(i);
            }
            if (held.isEmpty() || keep.isEmpty()) {
                throw new IOException(root + "/val has " + val.size() + " images: too few to hold out a test set"
                        + " (add a test/ folder, or more validation images)");
            }
            fit = val.select(keep.stream().mapToInt(Integer::intValue).toArray());
            test = val.select(held.stream().mapToInt(Integer::intValue).toArray());
            testSource = "every " + HELD_OUT_EVERY + "nd image of val/ held out (" + test.size() + " images; the"
                    + " other " + fit.size() + " select networks and fit thresholds), as the tree has no test/";
        }
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("dataset", "image-folder");
        provenance.put("root", root.toAbsolutePath().normalize().toString());
        provenance.put("train", train.size());
        provenance.put("val", fit.size());
        provenance.put("test", test.size());
        provenance.put("test_source", testSource);
        return new PipelineData(train, fit, test, testSource, train.classNames(),
                Transforms.evaluationResize(inputSize), TrainingSettings.Augment.RRC, provenance,
                List.of("--data", root.toString(), "--split", Files.isDirectory(root.resolve("test")) ? "test"
                        : "val"));
    }

    private static ImageFolder split(Path root, String name) throws IOException {
        Path dir = root.resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IOException(root + " has no " + name + "/ folder (expected " + root + "/{train,val}/<class>/"
                    + "<image>, and optionally test/)");
        }
        return new ImageFolder(dir);
    }

    private static void requireSameClasses(ImageFolder train, ImageFolder other, String name) {
        if (other.classNames().equals(train.classNames())) {
            return;
        }
        TreeSet<String> missing = new TreeSet<>(train.classNames());
        missing.removeAll(other.classNames());
        TreeSet<String> extra = new TreeSet<>(other.classNames());
        extra.removeAll(train.classNames());
        throw new IllegalArgumentException(name + "/ must have the classes of train/: " + (missing.isEmpty() ? ""
                : "missing " + missing) + (missing.isEmpty() || extra.isEmpty() ? "" : ", ") + (extra.isEmpty() ? ""
                : "not in train/: " + extra));
    }
}
