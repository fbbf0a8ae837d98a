package org.anchornet.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.data.ImageDataset;
import org.anchornet.localize.PatchProposer;
import org.anchornet.train.TrainingRun;
import org.anchornet.train.TrainingSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The training subcommands. */
final class TrainCommands {
    private TrainCommands() {}

    static int execute(CommandSpec spec, TrainingSettings settings, DataOptions data, boolean evaluateOnly)
            throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        ImageDataset train = data.split("train");
        ImageDataset val = data.split("val");
        if (evaluateOnly) {
            Path best = settings.checkpointDir().resolve("best.pth");
            if (!Files.exists(best)) {
                throw new IllegalArgumentException("--evaluate needs " + best);
            }
            TrainingSettings loaded = settings.toBuilder().pretrained(best).resume(false).build();
            try (TrainingRun run = new TrainingRun(loaded, out)) {
                if (settings.bnRecalibrationBatches() > 0) {
                    run.recalibrateBatchNorm(train);
                }
                out.printf(Locale.ROOT, "%s: validation top-1 %.2f%% on %d images%s%n", best, 100 * run.evaluate(val),
                        val.size(), settings.bnRecalibrationBatches() > 0 ? " (batch-norm statistics recomputed over "
                        + settings.bnRecalibrationBatches() + " training batches)" : "");
            }
            return 0;
        }
        out.printf("training %s (%s) on %d images, validating on %d; checkpoints in %s%n", settings.arch(),
                settings.mode().name().toLowerCase(), train.size(), val.size(), settings.checkpointDir());
        try (TrainingRun run = new TrainingRun(settings, out)) {
            TrainingRun.Result result = run.fit(train, val);
            out.printf(Locale.ROOT, "best validation top-1 %.2f%% (%s)%s%n", 100 * result.bestTop1(), result.best(),
                    result.skippedFiles() > 0 ? "; " + result.skippedFiles() + " damaged files skipped" : "");
        }
        return 0;
    }

    @Command(name = "train-anchornet", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Train AnchorNet (cross-entropy, Nesterov SGD 0.1, ×0.1 at epochs 30/60/90, 100 epochs,"
                    + " batch 256, RandomResizedCrop + flip: the reference's defaults).")
    static final class TrainAnchorNet implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin DataOptions data;
        @Mixin TrainingOptions training;

        @Override
        public Integer call() throws Exception {
            int classes = data.split("train").numClasses();
            TrainingSettings settings = training.apply(TrainingSettings.anchorNetDefaults(), data, classes).build();
            return execute(spec, settings, data, training.evaluate);
        }
    }

    @Command(name = "train-downnet", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Fine-tune a downstream network: --mode glance (whole images resized to the patch size),"
                    + " resized (the same at --patch-size: a resolution-scaled baseline), patch (on AnchorNet's top-k"
                    + " patches) or full (whole images, the baseline). SGD from 0.01 with cosine decay, 30 epochs.")
    static final class TrainDownnet implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin DataOptions data;
        @Mixin TrainingOptions training;

        @Option(names = "--mode", required = true, description = "glance, resized, patch or full.")
        String mode;

        @Option(names = "--arch", defaultValue = Architectures.REFERENCE_DOWNSTREAM,
                description = "Downstream architecture (default"
                + " ${DEFAULT-VALUE}).", completionCandidates = FlopsCommand.ArchNames.class)
        String arch;

        @Option(names = "--pretrained-downnet", description = "Weights to start from (e.g. torchvision's ImageNet"
                + " .pth, or a full-mode checkpoint); a classifier of another size is replaced.")
        Path pretrained;

        @Option(names = "--pretrained-anchornet", description = "AnchorNet weights that pick the patches (--mode"
                + " patch).")
        Path anchorNet;

        @Option(names = "--patch-size", converter = Converters.PositiveInt.class, description = "Side the whole"
                + " image is resized to in resized mode (default: AnchorNet's window, 95 px; other sides train"
                + " resolution-scaled baselines).")
        Integer patchSize;

        @Option(names = "--topk", defaultValue = "" + PatchProposer.DEFAULT_TOP_K, converter = Converters.PositiveInt.class,
                description = "Windows per image in patch mode (default ${DEFAULT-VALUE}).")
        int topK;

        @Option(names = "--iou", defaultValue = "" + PatchProposer.DEFAULT_IOU, converter = Converters.Fraction.class,
                description = "IoU threshold between windows (default ${DEFAULT-VALUE}).")
        double iou;

        @Override
        public Integer call() throws Exception {
            TrainingSettings.Mode m = switch (mode) {
                // one training mode: the glance is the whole image resized to the patch size (the default side)
                case "glance", "resized" -> TrainingSettings.Mode.RESIZED;
                case "patch" -> TrainingSettings.Mode.PATCH;
                case "full" -> TrainingSettings.Mode.FULL;
                default -> throw new IllegalArgumentException("--mode must be glance, resized, patch or full, got "
                        + mode);
            };
            if (mode.equals("glance") && patchSize != null && patchSize != AnchorNet.window().size()) {
                throw new IllegalArgumentException("--mode glance trains at the patch size ("
                        + AnchorNet.window().size() + " px); use --mode resized for --patch-size " + patchSize);
            }
            int classes = data.split("train").numClasses();
            TrainingSettings.Builder builder = training.apply(TrainingSettings.downstreamDefaults(m).arch(arch), data,
                    classes)
                    .pretrained(pretrained).anchorNet(anchorNet).topK(topK).iou(iou);
            if (patchSize != null) {
                builder.patchSize(patchSize);
            }
            TrainingSettings settings = builder.build();
            return execute(spec, settings, data, training.evaluate);
        }
    }
}
