package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Factories for the DJL layers that torch's {@code nn.Conv2d}, {@code nn.BatchNorm2d} and {@code nn.Linear} map to. */
public final class Layers {
    /** torch's {@code BatchNorm2d} default epsilon, used by every batch norm here. */
    public static final float BATCH_NORM_EPSILON = 1e-5f;

    private Layers() {}

    public static Conv conv(int outChannels, int kernel, int stride, int padding, int groups, boolean bias) {
        return new Conv(Conv2d.builder()
                .setFilters(outChannels)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding))
                .optGroups(groups)
                .optBias(bias));
    }

    /** torch's defaults: eps 1e-5, momentum 0.1 (DJL counts momentum the other way round). */
    public static Block batchNorm() {
        return batchNorm(BATCH_NORM_EPSILON, 0.1f);
    }

    /** A batch norm with torch's {@code eps} and {@code momentum} (e.g. MobileNetV3's 0.001 and 0.01). */
    public static Block batchNorm(float epsilon, float torchMomentum) {
        Block bn = BatchNorm.builder().optEpsilon(epsilon).optMomentum(1 - torchMomentum).build();
        EPSILONS.put(bn, epsilon);
        return bn;
    }

    // DJL keeps a batch norm's epsilon private; folding needs it (blocks compare by identity)
    private static final java.util.Map<Block, Float> EPSILONS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** The epsilon a batch norm made here was built with. */
    static float epsilonOf(Block batchNorm) {
        Float e = EPSILONS.get(batchNorm);
        if (e == null) {
            throw new IllegalArgumentException("not a batch norm made by Layers.batchNorm: " + batchNorm);
        }
        return e;
    }

    public static Linear linear(int outFeatures) {
        return Linear.builder().setUnits(outFeatures).optBias(true).build();
    }

    /**
     * x · sigmoid(x), closing {@code x}. Outside training the product is written into the sigmoid's output, saving one
     * activation-sized allocation per call (autograd would need the sigmoid's output intact).
     */
    public static NDArray swishAndFree(NDArray x, boolean training) {
        NDArray gate = x.getNDArrayInternal().sigmoid();
        if (!training) {
            gate.muli(x);
            x.close();
            return gate;
        }
        NDArray y = x.mul(gate);
        gate.close();
        x.close();
        return y;
    }

    /**
     * {@code x / divisor}. DJL's {@code div(Number)} wraps the divisor in a tensor over a Java direct buffer and closes
     * it as soon as the call returns, but autograd keeps that tensor to compute the quotient's gradient: once the
     * JVM collected the buffer, backward read freed memory (MobileNet-V3's stem gradients turned 1e11 or NaN at a
     * random step, only with a collecting GC). The divisor therefore stays attached to {@code x}'s manager, where the
     * result lives too (the batch's scope), and goes when that closes, after backward. (DJL's {@code hasGradient} is
     * false for intermediate results, so it cannot tell whether a graph is being recorded.)
     */
    static NDArray divide(NDArray x, float divisor) {
        return x.div(x.getManager().create(divisor));
    }

    /** relu6(x + 3) / 6, torch's Hardsigmoid, closing {@code x}. */
    public static NDArray hardSigmoidAndFree(NDArray x) {
        NDArray y;
        try (NDArray shifted = x.add(3f); NDArray clipped = shifted.clip(0f, 6f)) {
            y = divide(clipped, 6f);
        }
        x.close();
        return y;
    }

    /** x · relu6(x + 3) / 6, torch's Hardswish, closing {@code x}. */
    public static NDArray hardSwishAndFree(NDArray x) {
        NDArray y;
        try (NDArray shifted = x.add(3f); NDArray clipped = shifted.clip(0f, 6f);
                NDArray gate = divide(clipped, 6f)) {
            y = x.mul(gate);
        }
        x.close();
        return y;
    }

    public static NDArray reluAndFree(NDArray x) {
        NDArray y = x.getNDArrayInternal().relu();
        x.close();
        return y;
    }

    /**
     * DJL's Conv2d with its geometry readable, which {@link ConvBatchNorm} needs to run the convolution itself with
     * folded weights (DJL keeps stride, padding and groups protected).
     */
    public static final class Conv extends Conv2d {
        /**
         * Whether this OS reports no CPU cache hierarchy (Linux sysfs), as on this project's VMs; there, libtorch
         * 2.7.1's oneDNN backward kernel for strided 1×1 convolutions divides by the cache size and dies with SIGFPE
         * on ResNet-50's downsample shapes (512→1024 at 12 px, 1024→2048 at 6 px, and their 224 px counterparts).
         * Unstrided 1×1 and all 3×3 shapes train fine.
         */
        static final boolean CACHE_SIZES_UNKNOWN = System.getProperty("os.name").startsWith("Linux")
                && !java.nio.file.Files.isDirectory(java.nio.file.Path.of("/sys/devices/system/cpu/cpu0/cache"));

        private boolean subsampleFirstInTraining;

        Conv(Conv2d.Builder builder) {
            super(builder);
        }

        /** Trains this strided 1×1 convolution as subsample-then-convolve where the oneDNN kernel would crash. */
        Conv avoidingStridedPointwiseBackwardCrash() {
            return subsampleFirstInTraining(CACHE_SIZES_UNKNOWN);
        }

        /** Subsamples first (when strided and 1×1) in training whatever the machine; tests compare both paths. */
        Conv subsampleFirstInTraining(boolean on) {
            subsampleFirstInTraining = on && isStridedPointwise();
            return this;
        }

        boolean subsamplesFirstInTraining() {
            return subsampleFirstInTraining;
        }

        Shape stride() {
            return stride;
        }

        Shape padding() {
            return padding;
        }

        Shape dilation() {
            return dilation;
        }

        int groups() {
            return groups;
        }

        boolean hasBias() {
            return includeBias;
        }

        /**
         * A strided 1×1 convolution only reads every stride-th pixel, so in training it can take that subsample (a
         * view) and run the unstrided kernel, whose backward does not crash; same function, parameters and speed
         * (measured: subsample + kernel within noise of the strided kernel where the latter runs at all).
         */
        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            if (!training || !subsampleFirstInTraining) {
                return super.forwardInternal(store, inputs, training, params);
            }
            NDArray x = inputs.singletonOrThrow();
            NDArray w = store.getValue(weight, x.getDevice(), true);
            NDArray b = includeBias ? store.getValue(bias, x.getDevice(), true) : null;
            try (NDArray sampled = x.get(new NDIndex(":, :, ::{}, ::{}", stride.get(0), stride.get(1)))) {
                return conv2d(sampled, w, b, new Shape(1, 1), padding, dilation, groups);
            }
        }

        private boolean isStridedPointwise() {
            return kernelShape.get(0) == 1 && kernelShape.get(1) == 1 && padding.get(0) == 0 && padding.get(1) == 0
                    && (stride.get(0) > 1 || stride.get(1) > 1);
        }
    }
}
