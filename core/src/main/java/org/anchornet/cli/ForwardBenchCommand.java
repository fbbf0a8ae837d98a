package org.anchornet.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.anchornet.train.TorchSgd;
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

    @Override
    public Integer call() throws java.io.IOException {
        if (batchSize < 1 || input < 1 || iterations < 1 || warmup < 0) {
            throw new IllegalArgumentException("--batch-size, --input and --iterations must be positive");
        }
        if (train && (fold || weights != null)) {
            throw new IllegalArgumentException("--fold and --weights are for inference; --train times random weights");
        }
        PrintWriter out = spec.commandLine().getOut();
        double[] millis = train ? trainSteps() : forwardPasses();
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        out.printf("djl %s %s%s batch %d×3×%d×%d: median %.1f ms (%.1f images/s), min %.1f ms, max %.1f ms over %d"
                + " batches%n", arch, train ? "train step" : "forward", fold ? " (BN folded)" : "", batchSize, input, input, median,
                batchSize * 1000 / median, sorted[0], sorted[sorted.length - 1], iterations);
        out.flush();
        return 0;
    }

    private double[] trainSteps() {
        double[] millis = new double[iterations];
        try (ai.djl.Model model = ai.djl.Model.newInstance(arch)) {
            TorchModule net = Architectures.get(arch).create(model.getNDManager(), 1000, 0);
            model.setBlock(net);
            TorchSgd sgd = TorchSgd.builder().setLearningRate(0.01f)
                    .optMomentum(0.9f).optWeightDecay(1e-4f).optNesterov(true).build();
            try (ai.djl.training.Trainer trainer = model.newTrainer(new ai.djl.training.DefaultTrainingConfig(
                    ai.djl.training.loss.Loss.softmaxCrossEntropyLoss()).optOptimizer(sgd))) {
                for (int i = -warmup; i < iterations; i++) {
                    try (NDManager batch = model.getNDManager().newSubManager()) {
                        NDArray x = batch.randomNormal(new Shape(batchSize, 3, input, input));
                        NDArray y = batch.randomInteger(0, 1000, new Shape(batchSize), ai.djl.ndarray.types.DataType.INT64);
                        long start = System.nanoTime();
                        try (ai.djl.training.GradientCollector gc = trainer.newGradientCollector()) {
                            NDList out = trainer.forward(new NDList(x));
                            NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(out.get(out.size() - 1)));
                            gc.backward(loss);
                        }
                        trainer.step();
                        if (i >= 0) {
                            millis[i] = (System.nanoTime() - start) / 1e6;
                        }
                    }
                }
            }
        }
        return millis;
    }

    private double[] forwardPasses() throws java.io.IOException {
        double[] millis = new double[iterations];
        try (NDManager manager = NDManager.newBaseManager()) {
            TorchModule net = weights == null ? Architectures.get(arch).create(manager, 1000, 0)
                    : Architectures.get(arch).load(manager, 1000, weights);
            if (fold) {
                net.foldBatchNormsInPlace();
            }
            ParameterStore store = new ParameterStore(manager, false);
            for (int i = -warmup; i < iterations; i++) {
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
        }
        return millis;
    }
}
