package org.anchornet.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet forward-bench}: inference latency of one network, for side-by-side runs with PyTorch. */
@Command(name = "forward-bench", mixinStandardHelpOptions = true,
        description = "Time the inference forward pass of a network on random input (eval mode, one scope per"
                + " batch) and print the median, min and max in milliseconds.")
final class ForwardBenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--arch", defaultValue = "densenet201", description = "Architecture (default ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--batch-size", defaultValue = "32", description = "Images per batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--input", defaultValue = "95", description = "Square input side (default ${DEFAULT-VALUE}).")
    int input;

    @Option(names = "--iterations", defaultValue = "10", description = "Timed batches (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed batches first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Override
    public Integer call() {
        if (batchSize < 1 || input < 1 || iterations < 1 || warmup < 0) {
            throw new IllegalArgumentException("--batch-size, --input and --iterations must be positive");
        }
        PrintWriter out = spec.commandLine().getOut();
        double[] millis = new double[iterations];
        try (NDManager manager = NDManager.newBaseManager()) {
            TorchModule net = Architectures.get(arch).create(manager, 1000, 0);
            ParameterStore store = new ParameterStore(manager, false);
            for (int i = -warmup; i < iterations; i++) {
                try (NDManager batch = manager.newSubManager()) {
                    NDArray x = batch.randomNormal(new Shape(batchSize, 3, input, input));
                    long start = System.nanoTime();
                    NDList result = net.forward(store, new NDList(x), false);
                    result.singletonOrThrow().toFloatArray(); // wait for the result, as torch's .numpy() would
                    if (i >= 0) {
                        millis[i] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        out.printf("djl %s batch %d×3×%d×%d: median %.1f ms, min %.1f ms, max %.1f ms over %d batches%n", arch,
                batchSize, input, input, sorted[sorted.length / 2], sorted[0], sorted[sorted.length - 1], iterations);
        out.flush();
        return 0;
    }
}
