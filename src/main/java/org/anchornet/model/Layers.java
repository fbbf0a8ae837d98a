package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;

/** Factories for the DJL layers that torch's {@code nn.Conv2d}, {@code nn.BatchNorm2d} and {@code nn.Linear} map to. */
public final class Layers {
    private Layers() {}

    public static Conv2d conv(int outChannels, int kernel, int stride, int padding, int groups, boolean bias) {
        return Conv2d.builder()
                .setFilters(outChannels)
                .setKernelShape(new Shape(kernel, kernel))
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding))
                .optGroups(groups)
                .optBias(bias)
                .build();
    }

    /** torch's defaults: eps 1e-5, momentum 0.1 (DJL counts momentum the other way round). */
    public static Block batchNorm() {
        return BatchNorm.builder().optEpsilon(1e-5f).optMomentum(0.9f).build();
    }

    public static Linear linear(int outFeatures) {
        return Linear.builder().setUnits(outFeatures).optBias(true).build();
    }

    /** x · sigmoid(x), computed as torch's reference does. */
    public static NDArray swish(NDArray x) {
        try (NDArray gate = x.getNDArrayInternal().sigmoid()) {
            return x.mul(gate);
        }
    }

    /** Replaces {@code x} by {@code op(x)}, closing {@code x}. */
    public static NDArray swishAndFree(NDArray x) {
        NDArray y = swish(x);
        x.close();
        return y;
    }

    public static NDArray reluAndFree(NDArray x) {
        NDArray y = x.getNDArrayInternal().relu();
        x.close();
        return y;
    }
}
