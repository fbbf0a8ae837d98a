package org.anchornet.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.anchornet.data.ImageBatch;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.ImageFolder;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.io.Progress;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.Proposals;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.report.Figures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet visualize}: AnchorNet's top-k windows drawn on every image of a folder. */
@Command(name = "visualize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw AnchorNet's top-k windows (numbered in order) on every image of an ImageFolder tree and"
                + " save them as PNG under --save-dir, mirroring the folder layout. Takes a cascade package, or"
                + " AnchorNet's weights alone with the window flags.")
final class VisualizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data", required = true, description = "ImageFolder tree (root/<class>/<image>).")
    Path data;

    @Option(names = "--save-dir", required = true, description = "Output folder.")
    Path saveDir;

    @Option(names = "--cascade", paramLabel = "PACKAGE", description = "A cascade package: its AnchorNet, window"
            + " rules and preprocessing (no other flag needed).")
    Path cascade;

    @Option(names = "--pretrained-anchornet", description = "AnchorNet weights (without --cascade).")
    Path anchorNet;

    @Option(names = "--topk", converter = Converters.PositiveInt.class, description = "Windows per image (default "
            + CascadeConfig.DEFAULT_TOP_K + ").")
    Integer topK;

    @Option(names = "--iou", converter = Converters.Fraction.class, description = "IoU threshold (default "
            + CascadeConfig.DEFAULT_IOU + ").")
    Double iou;

    @Option(names = "--num-classes", converter = Converters.PositiveInt.class,
            description = "AnchorNet's classes (default: the folder's classes).")
    Integer numClasses;

    @Option(names = "--input-size", defaultValue = "" + Transforms.DEFAULT_INPUT_SIZE, converter = Converters.PositiveInt.class,
            description = "Image side (default ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--quiet", description = "No progress bar (one is drawn only on a terminal).")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        ImageDataset images = new ImageFolder(data);
        if ((cascade == null) == (anchorNet == null)) {
            throw new IllegalArgumentException("give --cascade PACKAGE or --pretrained-anchornet, one of them");
        }
        if (cascade != null && (topK != null || iou != null || numClasses != null)) {
            throw new IllegalArgumentException("--topk, --iou and --num-classes come from the package with --cascade");
        }
        int skipped = 0;
        try (NDManager manager = NDManager.newBaseManager();
                Cascade packaged = cascade != null ? Cascade.load(cascade) : null;
                ProgressBar bar = Progress.bar("visualize", images.size(), !quiet)) {
            Localizer localizer = packaged != null ? packaged.localizer() : localizer(manager, images);
            int side = packaged != null ? packaged.config().inputSize() : inputSize;
            for (int i = 0; i < images.size(); i++) {
                try (NDManager scope = manager.newSubManager()) {
                    RgbImage raw = images.load(i).image();
                    RgbImage image = packaged != null ? packaged.config().evaluationImage(raw)
                            : Transforms.resizeAndCenterCrop(raw, Transforms.evaluationResize(side), side);
                    float[] x = packaged != null ? packaged.preprocess(raw) : Transforms.toNormalizedChw(image);
                    Proposals found = localizer.localize(new ParameterStore(scope, false),
                            ImageBatch.pack(List.of(x), side).toNDArray(scope));
                    Figures.Annotated a = new Figures.Annotated(image, found.windows().get(0), List.of(),
                            images.classNames().get(images.label(i)), true);
                    Path target = saveDir.resolve(images.id(i).replaceAll("\\.[^.]+$", "") + ".png");
                    Figures.savePng(Figures.windowsGrid(List.of(a), 1), target);
                } catch (ImageDecoder.BadImageException e) {
                    skipped++;
                    spec.commandLine().getErr().println("warning: skipping " + e.getMessage());
                }
                if (bar != null) {
                    bar.step();
                }
            }
        }
        spec.commandLine().getOut().printf("drew %d images into %s%s%n", images.size() - skipped, saveDir,
                skipped > 0 ? " (" + skipped + " damaged files skipped)" : "");
        return 0;
    }

    private Localizer localizer(NDManager manager, ImageDataset images) throws java.io.IOException {
        int k = topK != null ? topK : CascadeConfig.DEFAULT_TOP_K;
        AnchorNet anchor = Architectures.loadAnchorNet(manager,
                numClasses != null ? numClasses : images.numClasses(), anchorNet);
        return Localizer.of(anchor, inputSize,
                java.util.Collections.nCopies(k - 1, iou != null ? iou : CascadeConfig.DEFAULT_IOU));
    }
}
