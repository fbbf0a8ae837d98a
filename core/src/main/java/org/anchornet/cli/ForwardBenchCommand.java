package org.anchornet.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.anchornet.data.ImageBatch;
import org.anchornet.train.TrainingRun;
import org.anchornet.train.TrainingSettings;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet forward-bench}: inference latency of one network, for side-by-side runs with PyTorch. */
@Command(name = "forward-bench", mixinStandardHelpOptions = true,
        description = "Time the inference forward pass (or with --train a full training step: forward, backward,"
                + " Nesterov SGD) of a network on random input, one scope per batch, and print the median, min and"
                + " max in milliseconds and images/s.")
final class ForwardBenchCommand implements Callable<Integer> {
    /** ImageNet's head, as the PyTorch side of the comparison (scripts/bench_forward_torch.py) builds it. */
    private static final int CLASSES = 1000;

    @Spec CommandSpec spec;

    @Option(names = "--arch", defaultValue = Architectures.REFERENCE_DOWNSTREAM,
            description = "Architecture (default ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--batch-size", defaultValue = "32", description = "Images per batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--input", defaultValue = "95", description = "Square input side (default ${DEFAULT-VALUE}).")
    int input;

    @Option(names = "--iterations", defaultValue = "10", description = "Timed batches (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed batches first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--train", description = "Time training steps instead of inference.")
    boolean train;

    @Option(names = "--fold", description = "Fold batch norms into their convolutions first, as the inference"
            + " commands do (the default times the same operations PyTorch's eager eval mode runs).")
    boolean fold;

    @Option(names = "--weights", paramLabel = "PTH", description = "Load a state dict or checkpoint (1000 classes;"
            + " e.g. torchvision's densenet201-c1103571.pth) instead of random weights, so that loading counts in the"
            + " peak memory as it does for the inference commands.")
    java.nio.file.Path weights;

    @Option(names = "--profile", paramLabel = "TRACE", description = "Record PyTorch's profiler over the timed"
            + " inference passes into this Chrome trace file (open it in chrome://tracing or Perfetto) and print the"
            + " slowest operators with their input shapes. Profiling slows the passes; time without it.")
    java.nio.file.Path profile;

    @Override
    public Integer call() throws java.io.IOException {
        if (batchSize < 1 || input < 1 || iterations < 1 || warmup < 0) {
            throw new IllegalArgumentException("--batch-size, --input and --iterations must be positive");
        }
        if (train && (fold || weights != null || profile != null)) {
            throw new IllegalArgumentException("--fold, --weights and --profile are for inference; --train times"
                    + " random weights");
        }
        PrintWriter out = spec.commandLine().getOut();
        double[] millis = train ? trainSteps() : forwardPasses();
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        out.printf("djl %s %s%s batch %d×3×%d×%d: median %.1f ms (%.1f images/s), min %.1f ms, max %.1f ms over %d"
                + " batches%n", arch, train ? "train step" : "forward", fold ? " (BN folded)" : "", batchSize, input, input, median,
                batchSize * 1000 / median, sorted[0], sorted[sorted.length - 1], iterations);
        if (profile != null) {
            // each pass's random input is drawn inside the profiled span: it is not the network's time
            ProfileTrace.print(ProfileTrace.rank(profile).stream().filter(r -> !r.op().startsWith("aten::normal"))
                    .toList(), iterations, 15, out);
        }
        out.flush();
        return 0;
    }

    /** Training steps as every training command takes them ({@link TrainingRun#trainStep}), on random images. */
    private double[] trainSteps() throws java.io.IOException {
        double[] millis = new double[iterations];
        TrainingSettings.Mode mode = arch.equals(Architectures.ANCHORNET) ? TrainingSettings.Mode.ANCHORNET
                : TrainingSettings.Mode.FULL;
        TrainingSettings settings = TrainingSettings.downstreamDefaults(mode).arch(arch).numClasses(CLASSES)
                .inputSize(input).batchSize(batchSize).seed(0).progress(false).build();
        java.util.Random random = new java.util.Random(0);
        try (TrainingRun run = new TrainingRun(settings, new PrintWriter(java.io.Writer.nullWriter()))) {
            for (int i = -warmup; i < iterations; i++) {
                float[] pixels = new float[batchSize * 3 * input * input];
                for (int p = 0; p < pixels.length; p++) {
                    pixels[p] = (float) random.nextGaussian();
                }
                int[] labels = random.ints(batchSize, 0, CLASSES).toArray();
                long start = System.nanoTime();
                run.trainStep(new ImageBatch(pixels, batchSize, input), labels);
                if (i >= 0) {
                    millis[i] = (System.nanoTime() - start) / 1e6;
                }
            }
        }
        return millis;
    }

    private double[] forwardPasses() throws java.io.IOException {
        double[] millis = new double[iterations];
        try (NDManager manager = NDManager.newBaseManager()) {
            TorchModule net = weights == null ? Architectures.get(arch).create(manager, CLASSES, 0)
                    : Architectures.get(arch).load(manager, CLASSES, weights);
            if (fold) {
                net.foldBatchNormsInPlace();
            }
            ParameterStore store = new ParameterStore(manager, false);
            for (int i = -warmup; i < iterations; i++) {
                if (i == 0 && profile != null) {
                    ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
                }
                try (NDManager batch = manager.newSubManager()) {
                    NDArray x = batch.randomNormal(new Shape(batchSize, 3, input, input));
                    long start = System.nanoTime();
                    NDList result = net.forward(store, new NDList(x), false);
                    result.get(result.size() - 1).toFloatArray(); // wait for the logits, as torch's .numpy() does
                    if (i >= 0) {
                        millis[i] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
            if (profile != null) {
                java.nio.file.Path parent = profile.toAbsolutePath().getParent();
                java.nio.file.Files.createDirectories(parent);
                ai.djl.pytorch.jni.JniUtils.stopProfile(profile.toString());
            }
        }
        return millis;
    }
}
