package org.anchornet.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.Transforms;
import org.anchornet.dynamic.ExitTable;
import org.anchornet.dynamic.ExitTableMaker;
import org.anchornet.dynamic.StageCosts;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchProposer;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;
import org.anchornet.report.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet make-table}: confidence and correctness of every stage for every image of a split. */
@Command(name = "make-table", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the glance and the top-k patches on every image of a split and save the exit table"
                + " (reference keys setup/thresholds/predictions plus classes, labels, stage costs and setup).")
final class MakeTableCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DataOptions data;

    @Option(names = "--arch", defaultValue = "densenet201", description = "Downstream architecture (default"
            + " ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--topk", defaultValue = "5", description = "Patches per image; the table has topk + 1 stages"
            + " (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--iou-thresholds", split = ",", arity = "1..*", description = "One IoU threshold per patch after"
            + " the first (default 0.3 each).")
    List<Double> iouThresholds;

    @Option(names = "--pretrained-anchornet", required = true, description = "AnchorNet weights.")
    Path anchorNet;

    @Option(names = "--resized-pretrained", required = true, description = "Downstream weights fine-tuned on glances.")
    Path resized;

    @Option(names = "--patch-pretrained", required = true, description = "Downstream weights fine-tuned on patches.")
    Path patch;

    @Option(names = "--split", defaultValue = "val", description = "val or test (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--save-dir", defaultValue = "result", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path saveDir;

    @Option(names = "--batch-size", defaultValue = "32", description = "Images per batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--input-size", defaultValue = "224", description = "Image side (default ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--patch-size", defaultValue = "95", description = "Glance and patch side (default"
            + " ${DEFAULT-VALUE}).")
    int patchSize;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (!split.equals("val") && !split.equals("test")) {
            throw new IllegalArgumentException("--split must be val or test, got " + split);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be positive");
        }
        List<Double> ious = iouThresholds != null ? iouThresholds : Collections.nCopies(Math.max(0, topK - 1), 0.3);
        Path out = saveDir.resolve(String.format(Locale.ROOT, "%s_%d_%s.pth", arch, patchSize, split));
        ExitTable table = make(spec.commandLine().getOut(), data.split(split), ious);
        table.write(out);
        PrintWriter w = spec.commandLine().getOut();
        w.printf(Locale.ROOT, "wrote %s: %d images × %d stages; stage accuracies:", out, table.images(),
                table.stages());
        for (int j = 0; j < table.stages(); j++) {
            w.printf(Locale.ROOT, " %.4f", table.stageAccuracy(j));
        }
        w.println();
        w.flush();
        return 0;
    }

    ExitTable make(PrintWriter log, ImageDataset images, List<Double> ious) throws Exception {
        int classes = images.numClasses();
        try (NDManager manager = NDManager.newBaseManager()) {
            AnchorNet anchor = (AnchorNet) Architectures.get("anchornet").loadForInference(manager, classes, anchorNet);
            PatchProposer proposer = new PatchProposer(anchor.receptiveField(), inputSize, topK, ious);
            if (proposer.patchSize() != patchSize) {
                throw new IllegalArgumentException("AnchorNet's windows are " + proposer.patchSize() + " px but"
                        + " --patch-size is " + patchSize);
            }
            TorchModule resizedNet = Architectures.get(arch).loadForInference(manager, classes, resized);
            TorchModule patchNet = Architectures.get(arch).loadForInference(manager, classes, patch);
            ExitTableMaker maker = new ExitTableMaker(resizedNet, patchNet, new Localizer(anchor, proposer));
            StageCosts costs = StageCosts.counted(maker.stages(), arch, patchSize, inputSize, classes);
            ExitTable.Metadata meta = new ExitTable.Metadata(ExitTableMaker.setup(arch, patchSize, ious),
                    Optional.of(arch), Optional.of(patchSize), ious, Optional.of(costs.perStage()), List.of());
            int resize = data.generated() ? inputSize : Transforms.evaluationResize(inputSize);
            try (BatchLoader loader = new BatchLoader(images,
                            (img, r) -> Transforms.evaluation(img, resize, inputSize),
                            new BatchLoader.Options(batchSize, data.workers(), 4, data.strict, false),
                            msg -> log.println("warning: " + msg));
                    ProgressBar bar = Progress.bar("make-table " + split, images.size(), !quiet)) {
                return maker.make(loader, manager, meta, done -> {
                    if (bar != null) {
                        bar.stepTo(done);
                    }
                });
            }
        }
    }
}
