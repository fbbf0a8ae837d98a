package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;

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
        Conv(Conv2d.Builder builder) {
            super(builder);
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
    }
}
