package org.anchornet.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.anchornet.demo.DemoSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet train}: the whole pipeline on a user's ImageFolder tree. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a cascade on your own images, end to end: the pipeline of 'anchornet demo' on an"
                + " ImageFolder tree (DIR/train/<class>/<image>, DIR/val/<class>/<image>, optionally DIR/test/...)."
                + " Writes OUT/cascade (the package predict, classify, serve and spark-classify take),"
                + " OUT/report.html with its figures and raw CSV/JSON, and a summary at the end.",
            "Photos of any size and format are read as PIL reads them; training uses random resized crops and"
                    + " flips, evaluation Resize then CenterCrop, as torchvision's reference does. Files that are not"
                    + " images are ignored; a damaged image is named and counted. Without test/, every 2nd image of"
                    + " val/ is held out as the test set.",
            "An interrupted run resumes where it stopped when started again with the same settings."})
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--data", required = true, description = "ImageFolder root with train/ and val/ (and test/).")
    Path data;

    @Option(names = "--out", defaultValue = "runs/train", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Mixin PipelineOptions pipeline;

    @Option(names = "--input-size", converter = Converters.PositiveInt.class, description = "Side of the centre"
            + " crop every network but the glance sees (default 224, as ImageNet's).")
    Integer inputSize;

    @Option(names = "--pretrained", description = "Weights every downstream network starts from instead of"
            + " pretraining from scratch: a torchvision state dict of --arch (e.g. its ImageNet weights) or a"
            + " checkpoint; a classifier of another class count is replaced.")
    Path pretrained;

    @Option(names = "--pretrained-anchornet", description = "Weights AnchorNet starts from (e.g. the reference's"
            + " ImageNet AnchorNet); a classifier of another class count is replaced.")
    Path pretrainedAnchorNet;

    @Override
    public Integer call() throws Exception {
        DemoSettings.Builder d = pipeline.settings(out).data(data.toString());
        Optional.ofNullable(inputSize).ifPresent(d::canvas);
        d.pretrained(weights(pretrained, "--pretrained"));
        d.pretrainedAnchorNet(weights(pretrainedAnchorNet, "--pretrained-anchornet"));
        pipeline.run(d.build(), spec.commandLine().getOut());
        return 0;
    }

    /** A weight file's absolute path as the settings record it, or null when the option is not given. */
    private static String weights(Path file, String option) {
        if (file == null) {
            return null;
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + " " + file + ": no such file");
        }
        return file.toAbsolutePath().toString();
    }
}
