package org.anchornet.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.ImageFolder;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchProposer;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.report.Figures;
import org.anchornet.report.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet visualize}: AnchorNet's top-k windows drawn on every image of a folder. */
@Command(name = "visualize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Draw AnchorNet's top-k windows (numbered in order) on every image of an ImageFolder tree and"
                + " save them as PNG under --save-dir, mirroring the folder layout.")
final class VisualizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data", required = true, description = "ImageFolder tree (root/<class>/<image>).")
    Path data;

    @Option(names = "--save-dir", required = true, description = "Output folder.")
    Path saveDir;

    @Option(names = "--pretrained-anchornet", required = true, description = "AnchorNet weights.")
    Path anchorNet;

    @Option(names = "--topk", defaultValue = "5", description = "Windows per image (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--iou", defaultValue = "0.3", description = "IoU threshold (default ${DEFAULT-VALUE}).")
    double iou;

    @Option(names = "--num-classes", description = "AnchorNet's classes (default: the folder's classes).")
    Integer numClasses;

    @Option(names = "--input-size", defaultValue = "224", description = "Image side (default ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        ImageDataset images = new ImageFolder(data);
        int skipped = 0;
        try (NDManager manager = NDManager.newBaseManager();
                ProgressBar bar = Progress.bar("visualize", images.size(), !quiet)) {
            AnchorNet anchor = (AnchorNet) Architectures.get("anchornet").loadForInference(manager,
                    numClasses != null ? numClasses : images.numClasses(), anchorNet);
            Localizer localizer = new Localizer(anchor, new PatchProposer(anchor.receptiveField(), inputSize, topK,
                    Collections.nCopies(topK - 1, iou)));
            int resize = Transforms.evaluationResize(inputSize);
            for (int i = 0; i < images.size(); i++) {
                try (NDManager scope = manager.newSubManager()) {
                    RgbImage image = Transforms.resizeAndCenterCrop(images.load(i).image(), resize, inputSize);
                    NDArray x = scope.create(Transforms.toNormalizedChw(image), new Shape(1, 3, inputSize, inputSize));
                    Localizer.Result found = localizer.localize(new ParameterStore(scope, false), x);
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
}
