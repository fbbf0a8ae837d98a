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
        return BatchNorm.builder().optEpsilon(BATCH_NORM_EPSILON).optMomentum(0.9f).build();
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
         * 2.7.1's oneDNN backward kernel for 1×1 convolutions divides by the cache size and dies with SIGFPE on
         * ResNet-50's shapes (DenseNet's and AnchorNet's 1×1 shapes are unaffected).
         */
        static final boolean CACHE_SIZES_UNKNOWN = System.getProperty("os.name").startsWith("Linux")
                && !java.nio.file.Files.isDirectory(java.nio.file.Path.of("/sys/devices/system/cpu/cpu0/cache"));

        private boolean pointwiseAsMatmul;

        Conv(Conv2d.Builder builder) {
            super(builder);
        }

        /** Trains this 1×1 convolution as a matrix product where the oneDNN kernel would crash (see above). */
        Conv avoidingPointwiseBackwardCrash() {
            return trainPointwiseAsMatmul(CACHE_SIZES_UNKNOWN);
        }

        /** Trains as a matrix product (when 1×1) whatever the machine; tests compare both paths. */
        Conv trainPointwiseAsMatmul(boolean on) {
            pointwiseAsMatmul = on && isPointwise();
            return this;
        }

        boolean trainsPointwiseAsMatmul() {
            return pointwiseAsMatmul;
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
         * When {@link #avoidingPointwiseBackwardCrash} applies, training passes run as one matrix product over all
         * pixels (N·H·W × C times C × O, channels-last), which autograd differentiates without oneDNN's 1×1
         * convolution backward. Same function and parameters; about half the speed of the kernel, so only where needed.
         */
        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training,
                PairList<String, Object> params) {
            if (!training || !pointwiseAsMatmul) {
                return super.forwardInternal(store, inputs, training, params);
            }
            NDArray x = inputs.singletonOrThrow();
            NDArray w = store.getValue(weight, x.getDevice(), true);
            long rowStride = stride.get(0);
            long colStride = stride.get(1);
            NDArray sampled = rowStride == 1 && colStride == 1 ? x
                    : x.get(new NDIndex(":, :, ::{}, ::{}", rowStride, colStride));
            Shape s = sampled.getShape();
            try (NDArray channelsLast = sampled.transpose(0, 2, 3, 1);
                    NDArray pixels = channelsLast.reshape(s.get(0) * s.get(2) * s.get(3), s.get(1));
                    NDArray matrix = w.reshape(filters, s.get(1));
                    NDArray weightT = matrix.transpose();
                    NDArray product = pixels.matMul(weightT);
                    NDArray image = product.reshape(s.get(0), s.get(2), s.get(3), filters)) {
                NDArray y = image.transpose(0, 3, 1, 2);
                if (includeBias) {
                    try (NDArray b = store.getValue(bias, x.getDevice(), true).reshape(1, filters, 1, 1);
                            NDArray unbiased = y) {
                        y = unbiased.add(b);
                    }
                }
                return new NDList(y);
            } finally {
                if (sampled != x) {
                    sampled.close();
                }
            }
        }

        private boolean isPointwise() {
            return kernelShape.get(0) == 1 && kernelShape.get(1) == 1 && groups == 1 && padding.get(0) == 0
                    && padding.get(1) == 0 && dilation.get(0) == 1 && dilation.get(1) == 1;
        }
    }
}
