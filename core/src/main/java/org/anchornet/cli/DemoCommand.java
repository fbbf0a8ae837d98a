package org.anchornet.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.anchornet.demo.DemoSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet demo}: the whole pipeline on generated Cluttered Fashion-MNIST, with a report. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the whole method on Cluttered Fashion-MNIST: pretrain the downstream network, train"
                + " AnchorNet, fine-tune the glance, patch, full-resolution and resolution-scaled networks with one"
                + " recipe; make exit tables; fit thresholds under a budget on validation; score them on test (with"
                + " random- and centre-window ablations); write the trained cascade to OUT/cascade; time the engine"
                + " against the baseline; write OUT/report.html with figures and raw CSV/JSON. 'anchornet train'"
                + " runs the same pipeline on an ImageFolder tree.",
            "An interrupted run resumes where it stopped when started again with the same settings.",
            "Presets: standard (default, about 20 minutes), converged (every network until validation stops"
                    + " improving, with more validation and test canvases: about 3.5 hours per seed), quick (toy"
                    + " sizes: about two minutes)."})
final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Mixin PipelineOptions pipeline;

    @Option(names = "--fashion-mnist-dir", description = "Fashion-MNIST IDX folder (else $FASHION_MNIST_DIR,"
            + " or Debian's dataset-fashion-mnist).")
    Path fashionMnistDir;

    @Option(names = "--train-size", converter = Converters.PositiveInt.class, description = "Training canvases.")
    Integer trainSize;
    @Option(names = "--val-size", converter = Converters.PositiveInt.class, description = "Validation canvases.")
    Integer valSize;
    @Option(names = "--test-size", converter = Converters.PositiveInt.class, description = "Test canvases.")
    Integer testSize;

    @Override
    public Integer call() throws Exception {
        DemoSettings.Builder d = pipeline.settings(out).fashionMnistDir(fashionMnistDir);
        Optional.ofNullable(trainSize).ifPresent(d::trainSize);
        Optional.ofNullable(valSize).ifPresent(d::valSize);
        Optional.ofNullable(testSize).ifPresent(d::testSize);
        pipeline.run(d.build(), spec.commandLine().getOut());
        return 0;
    }
}
