package org.anchornet.report;

import java.nio.file.Path;

/**
 * Sizes and schedules of the end-to-end demo on Cluttered Fashion-MNIST. {@link #standard} fits in about 20 minutes
 * on two CPU cores, {@link #quick} in under three; every field can be raised towards the paper's settings.
 */
public record DemoSettings(
        int trainSize,
        int valSize,
        int testSize,
        int canvas,
        String arch,
        int batchSize,
        int fullEpochs,
        int anchorEpochs,
        int resizedEpochs,
        int patchEpochs,
        double fullLr,
        double anchorLr,
        double fineTuneLr,
        int topK,
        double iou,
        double budgetFraction,
        int benchImages,
        long seed,
        Path outDir,
        Path fashionMnistDir,
        int workers,
        boolean progress) {

    public DemoSettings {
        if (trainSize < batchSize || valSize < 1 || testSize < 1 || !(budgetFraction > 0 && budgetFraction <= 1)
                || benchImages < batchSize) {
            throw new IllegalArgumentException("demo sizes must be positive, the training set at least one batch, the"
                    + " budget fraction in (0, 1], and the benchmark at least one batch");
        }
    }

    public static DemoSettings standard(Path outDir) {
        return new DemoSettings(2400, 600, 1000, 224, "resnet18", 32, 3, 4, 2, 1, 0.02, 0.05, 0.01, 4, 0.3, 0.48, 256,
                0, outDir, null, Math.max(1, Runtime.getRuntime().availableProcessors() - 1), true);
    }

    public static DemoSettings quick(Path outDir) {
        return new DemoSettings(192, 96, 96, 224, "resnet18", 32, 1, 1, 1, 1, 0.02, 0.05, 0.01, 4, 0.3, 0.48, 64, 0,
                outDir, null, Math.max(1, Runtime.getRuntime().availableProcessors() - 1), true);
    }
}
