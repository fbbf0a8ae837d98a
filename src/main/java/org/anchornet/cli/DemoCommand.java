package org.anchornet.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.anchornet.report.DemoPipeline;
import org.anchornet.report.DemoSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet demo}: the whole method on Cluttered Fashion-MNIST, with a report. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the whole pipeline on Cluttered Fashion-MNIST: train the full-resolution baseline,"
                + " AnchorNet, the glance and patch networks; make exit tables; fit thresholds under a budget on"
                + " validation; score them on test (with random- and centre-window ablations); time the early-exit"
                + " engine against the baseline; write OUT/report.html with figures and raw CSV/JSON.",
            "Defaults take about 20 minutes on two CPU cores; --quick about 2."})
final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--quick", description = "Tiny sizes and one epoch each: a smoke run of every step.")
    boolean quick;

    @Option(names = "--fashion-mnist-dir", description = "Fashion-MNIST IDX folder (else $FASHION_MNIST_DIR,"
            + " Debian's dataset-fashion-mnist, or a download).")
    Path fashionMnistDir;

    @Option(names = "--train-size", description = "Training canvases.") Integer trainSize;
    @Option(names = "--val-size", description = "Validation canvases.") Integer valSize;
    @Option(names = "--test-size", description = "Test canvases.") Integer testSize;
    @Option(names = "--arch", description = "Downstream architecture (default resnet18).") String arch;
    @Option(names = "--epochs", split = ",", description = "Epochs of the baseline, AnchorNet, glance and patch"
            + " networks (default 3,4,3,1).") java.util.List<Integer> epochs;
    @Option(names = "--budget-fraction", description = "Budget as a share of the baseline's multiply-adds (default"
            + " 0.48: under the 50%% goal with room for validation-to-test drift).") Double budgetFraction;
    @Option(names = "--seed", description = "Seed of data, initialization, order and augmentation (default 0).")
    Long seed;
    @Option(names = "--workers", description = "Image threads (default: cores − 1).") Integer workers;
    @Option(names = "--quiet", description = "No progress bars.") boolean quiet;

    @Override
    public Integer call() throws Exception {
        DemoSettings.Builder d = quick ? DemoSettings.quick() : DemoSettings.standard();
        if (epochs != null && epochs.size() != 4) {
            throw new IllegalArgumentException("--epochs takes four numbers: baseline, AnchorNet, glance, patch");
        }
        d.outDir(out).fashionMnistDir(fashionMnistDir).progress(!quiet);
        Optional.ofNullable(trainSize).ifPresent(d::trainSize);
        Optional.ofNullable(valSize).ifPresent(d::valSize);
        Optional.ofNullable(testSize).ifPresent(d::testSize);
        Optional.ofNullable(arch).ifPresent(d::arch);
        if (epochs != null) {
            d.epochs(epochs.get(0), epochs.get(1), epochs.get(2), epochs.get(3));
        }
        Optional.ofNullable(budgetFraction).ifPresent(d::budgetFraction);
        Optional.ofNullable(seed).ifPresent(d::seed);
        Optional.ofNullable(workers).ifPresent(d::workers);
        Map<String, Object> summary = new DemoPipeline(d.build(), spec.commandLine().getOut()).run();
        return summary.containsKey("bench") ? 0 : 1;
    }
}
