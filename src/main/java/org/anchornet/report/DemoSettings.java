package org.anchornet.report;

import java.nio.file.Path;

/**
 * Sizes and schedules of the end-to-end demo on Cluttered Fashion-MNIST, made with {@link Builder}: {@link #standard}
 * fits in about 20 minutes on two CPU cores, {@link #quick} in under three; every field can be raised towards the
 * paper's settings.
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

    /** The default run: 2,400/600/1,000 canvases, ResNet-18, epochs 3/4/3/1, 48% budget; about 17 minutes. */
    public static Builder standard() {
        return new Builder();
    }

    /** Every step at toy sizes, one epoch each: a smoke run in about a minute. */
    public static Builder quick() {
        return new Builder().trainSize(192).valSize(96).testSize(96).epochs(1, 1, 1, 1).benchImages(64);
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.trainSize = trainSize;
        b.valSize = valSize;
        b.testSize = testSize;
        b.canvas = canvas;
        b.arch = arch;
        b.batchSize = batchSize;
        b.fullEpochs = fullEpochs;
        b.anchorEpochs = anchorEpochs;
        b.resizedEpochs = resizedEpochs;
        b.patchEpochs = patchEpochs;
        b.fullLr = fullLr;
        b.anchorLr = anchorLr;
        b.fineTuneLr = fineTuneLr;
        b.topK = topK;
        b.iou = iou;
        b.budgetFraction = budgetFraction;
        b.benchImages = benchImages;
        b.seed = seed;
        b.outDir = outDir;
        b.fashionMnistDir = fashionMnistDir;
        b.workers = workers;
        b.progress = progress;
        return b;
    }

    /** Options of {@link DemoSettings}, starting from the standard run. */
    public static final class Builder {
        private int trainSize = 2400;
        private int valSize = 600;
        private int testSize = 1000;
        private int canvas = 224;
        private String arch = "resnet18";
        private int batchSize = 32;
        private int fullEpochs = 3;
        private int anchorEpochs = 4;
        private int resizedEpochs = 3;
        private int patchEpochs = 1;
        private double fullLr = 0.02;
        private double anchorLr = 0.05;
        private double fineTuneLr = 0.01;
        private int topK = 4;
        private double iou = 0.3;
        private double budgetFraction = 0.48;
        private int benchImages = 256;
        private long seed = 0;
        private Path outDir = Path.of("runs", "demo");
        private Path fashionMnistDir = null;
        private int workers = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
        private boolean progress = true;

        private Builder() {}

        public Builder trainSize(int v) { trainSize = v; return this; }
        public Builder valSize(int v) { valSize = v; return this; }
        public Builder testSize(int v) { testSize = v; return this; }
        public Builder canvas(int v) { canvas = v; return this; }
        public Builder arch(String v) { arch = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder fullEpochs(int v) { fullEpochs = v; return this; }
        public Builder anchorEpochs(int v) { anchorEpochs = v; return this; }
        public Builder resizedEpochs(int v) { resizedEpochs = v; return this; }
        public Builder patchEpochs(int v) { patchEpochs = v; return this; }
        public Builder fullLr(double v) { fullLr = v; return this; }
        public Builder anchorLr(double v) { anchorLr = v; return this; }
        public Builder fineTuneLr(double v) { fineTuneLr = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder iou(double v) { iou = v; return this; }
        public Builder budgetFraction(double v) { budgetFraction = v; return this; }
        public Builder benchImages(int v) { benchImages = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder outDir(Path v) { outDir = v; return this; }
        public Builder fashionMnistDir(Path v) { fashionMnistDir = v; return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder progress(boolean v) { progress = v; return this; }

        /** Epochs of the baseline, AnchorNet, the glance network and the patch network. */
        public Builder epochs(int full, int anchor, int resized, int patch) {
            fullEpochs = full;
            anchorEpochs = anchor;
            resizedEpochs = resized;
            patchEpochs = patch;
            return this;
        }

        public DemoSettings build() {
            return new DemoSettings(trainSize, valSize, testSize, canvas, arch, batchSize, fullEpochs, anchorEpochs,
                    resizedEpochs, patchEpochs, fullLr, anchorLr, fineTuneLr, topK, iou, budgetFraction,
                    benchImages, seed, outDir, fashionMnistDir, workers, progress);
        }
    }
}
