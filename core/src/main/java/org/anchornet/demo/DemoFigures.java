package org.anchornet.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.Transforms;
import org.anchornet.data.RgbImage;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.io.AtomicFiles;
import org.anchornet.report.Charts;
import org.anchornet.report.Figures;

/** The demo's pictures: examples and class activation maps from the cascade, and the charts of a summary. */
final class DemoFigures {
    private DemoFigures() {}

    /** Images in the gallery, half answered right and half wrong where the first test images allow. */
    private static final int SHOWN = 8;
    /** Test images looked through to find them. */
    private static final int LOOKED_AT = 32;

    /**
     * A gallery of test images, right and wrong answers both (up to half each, from the first {@value #LOOKED_AT}
     * readable ones), with every window AnchorNet proposes and the prediction after each stage up to the one the
     * cascade's thresholds let it leave at (all stages are computed once, and the exit rule applied to them), and
     * their class activation maps.
     */
    static void examples(Cascade cascade, ImageDataset test, Path out) throws IOException {
        // kept as the networks see them, not as decoded: 32 photos of 12 MP would take a gigabyte
        List<float[]> tensors = new ArrayList<>();
        List<RgbImage> seen = new ArrayList<>(); // windows are drawn in these coordinates
        List<Integer> truth = new ArrayList<>();
        for (int i = 0; i < test.size() && seen.size() < LOOKED_AT; i++) {
            try {
                ImageDataset.Sample sample = test.load(i);
                RgbImage evaluated = cascade.config().evaluationImage(sample.image());
                tensors.add(cascade.config().normalize(evaluated));
                seen.add(evaluated);
                truth.add(sample.label());
            } catch (ImageDecoder.BadImageException | Transforms.ImageTooLargeException damaged) {
                // counted where the images are scored; the gallery shows the next ones
            }
        }
        List<String> classes = cascade.config().classes();
        List<Prediction> every = cascade.trace(org.anchornet.data.ImageBatch.pack(tensors,
                cascade.config().inputSize()));
        ExitThresholds thresholds = cascade.config().exitThresholds();
        List<Figures.Annotated> right = new ArrayList<>();
        List<Figures.Annotated> wrong = new ArrayList<>();
        List<float[]> rightCams = new ArrayList<>();
        List<float[]> wrongCams = new ArrayList<>();
        List<RgbImage> rightImages = new ArrayList<>();
        List<RgbImage> wrongImages = new ArrayList<>();
        for (int i = 0; i < seen.size(); i++) {
            Prediction p = every.get(i);
            int exit = ExitRule.exitStage(j -> p.stages().get(j).confidence(), thresholds);
            int answer = ExitRule.answerStage(j -> p.stages().get(j).confidence(), exit, thresholds.answer());
            List<String> labels = new ArrayList<>();
            for (int j = 0; j <= exit; j++) {
                labels.add(classes.get(p.stages().get(j).predicted()));
            }
            boolean ok = p.stages().get(answer).predicted() == truth.get(i);
            RgbImage shown = seen.get(i);
            (ok ? right : wrong).add(new Figures.Annotated(shown, p.windows(), labels, "truth: "
                    + classes.get(truth.get(i)), ok));
            (ok ? rightCams : wrongCams).add(p.cam());
            (ok ? rightImages : wrongImages).add(shown);
        }
        int rights = Math.min(right.size(), Math.max(SHOWN / 2, SHOWN - wrong.size()));
        int wrongs = Math.min(wrong.size(), SHOWN - rights);
        List<Figures.Annotated> annotated = new ArrayList<>(right.subList(0, rights));
        annotated.addAll(wrong.subList(0, wrongs));
        List<float[]> cams = new ArrayList<>(rightCams.subList(0, rights));
        cams.addAll(wrongCams.subList(0, wrongs));
        List<RgbImage> images = new ArrayList<>(rightImages.subList(0, rights));
        images.addAll(wrongImages.subList(0, wrongs));
        Figures.savePng(Figures.windowsGrid(annotated, 4), out.resolve("examples.png"));
        int cells = (int) Math.round(Math.sqrt(cams.get(0).length));
        Figures.savePng(Figures.camGrid(images, cams, cells, cascade.config().stride(), cascade.config().patchSize(),
                4), out.resolve("cams.png"));
    }

    /** The frontier (with ± one standard deviation over seeds when there are several), exits and throughput. */
    static void charts(List<DemoSummary> runs, Path out) throws IOException {
        List<Charts.Series> series = new ArrayList<>();
        StringBuilder csv = new StringBuilder("series,seed,budget_gmacs,test_gmacs,test_top1\n");
        for (String source : DemoTables.methods(runs)) {
            int points = runs.get(0).frontier().get(source).size();
            double[][] xy = meanAndSpread(runs, points, (s, i) -> s.frontier().get(source).get(i).testGmacs(),
                    (s, i) -> 100 * s.frontier().get(source).get(i).testTop1());
            series.add(new Charts.Series(Headline.label(source), xy[0], xy[1], true, runs.size() > 1 ? xy[2] : null));
            for (DemoSummary s : runs) {
                for (DemoSummary.FrontierPoint p : s.frontier().get(source)) {
                    csv.append(String.format(Locale.ROOT, "%s,%d,%.6f,%.6f,%.6f%n", source, s.settings().seed(),
                            p.budgetGmacs(), p.testGmacs(), p.testTop1()));
                }
            }
        }
        int sizes = runs.get(0).resolutions().size();
        double[][] res = meanAndSpread(runs, sizes, (s, i) -> s.resolutions().get(i).gmacs(),
                (s, i) -> 100 * s.resolutions().get(i).testTop1());
        series.add(new Charts.Series("resolution-scaled baselines (" + runs.get(0).resolutions().stream()
                .map(r -> Integer.toString(r.side())).reduce((a, b) -> a + ", " + b).orElse("") + " px)", res[0],
                res[1], true, runs.size() > 1 ? res[2] : null));
        for (DemoSummary s : runs) {
            for (DemoSummary.Resolution r : s.resolutions()) {
                csv.append(String.format(Locale.ROOT, "resolution %d px,%d,,%.6f,%.6f%n", r.side(),
                        s.settings().seed(), r.gmacs(), r.testTop1()));
            }
        }
        Charts.save(Charts.xy((runs.get(0).settings().data() == null ? "Cluttered Fashion-MNIST test set"
                : "Test set") + ": accuracy vs multiply-adds",
                "mean multiply-adds per image (G)", "top-1 accuracy (%)", series), out, "frontier", 900, 560);
        AtomicFiles.writeString(out.resolve("frontier.csv"), csv.toString());
        if (runs.size() == 1) {
            charts(runs.get(0), out);
        }
    }

    private static void charts(DemoSummary s, Path out) throws IOException {
        List<String> stages = new ArrayList<>();
        int[] exits = s.anchorNet().testExitsPerStage();
        double[] values = new double[exits.length];
        for (int j = 0; j < exits.length; j++) {
            stages.add(j == 0 ? "glance" : "window " + j);
            values[j] = exits[j];
        }
        Charts.save(Figures.bars("Where test images leave", "images", stages, values), out, "exits", 640, 420);
        if (s.bench() != null) {
            Charts.save(Figures.bars(String.format(Locale.ROOT, "Measured throughput (%d test images, batch %d,"
                    + " fresh process)", s.bench().images(), s.bench().batchSize()), "images / s",
                    List.of("early exit (AnchorNet)", "full resolution"),
                    new double[] {s.bench().engineImagesPerSecond(), s.bench().baselineImagesPerSecond()}), out,
                    "throughput", 640, 420);
        }
    }

    /** A value of a run at an index. */
    @FunctionalInterface
    private interface Value {
        double of(DemoSummary s, int index);
    }

    /** Mean x, mean y and the standard deviation of y over runs, per index. */
    private static double[][] meanAndSpread(List<DemoSummary> runs, int count, Value x, Value y) {
        double[][] out = new double[3][count];
        for (int i = 0; i < count; i++) {
            final int index = i;
            out[0][i] = Headline.Stat.of(runs, s -> x.of(s, index)).mean();
            Headline.Stat ys = Headline.Stat.of(runs, s -> y.of(s, index));
            out[1][i] = ys.mean();
            out[2][i] = ys.std();
        }
        return out;
    }
}
