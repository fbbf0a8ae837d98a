package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * torchvision's {@code Conv2dNormActivation}: a bias-free convolution ({@code 0}), a batch norm ({@code 1}) and an
 * optional activation (no parameters), padded to keep the size ({@code (k − 1) / 2}). The pair folds for inference.
 */
final class ConvNormActivation extends TorchModule {
    /** The activations torchvision's mobile networks use. */
    enum Act {
        NONE, RELU, HARDSWISH, SILU
    }

    /** Batch-norm settings: torch's epsilon and momentum. */
    record Norm(float epsilon, float momentum) {
        static final Norm TORCH_DEFAULT = new Norm(Layers.BATCH_NORM_EPSILON, 0.1f);
    }

    private final Layers.Conv conv;
    private final Block bn;
    private final ConvBatchNorm pair;
    private final Act act;

    ConvNormActivation(int out, int kernel, int stride, int groups, Norm norm, Act act) {
        this.conv = register("0", Layers.conv(out, kernel, stride, (kernel - 1) / 2, groups, false));
        this.bn = register("1", Layers.batchNorm(norm.epsilon(), norm.momentum()));
        this.pair = convBatchNorm(conv, bn);
        this.act = act;
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        return activate(apply(pair, store, x, training), act, training);
    }

    /** Applies an activation to {@code x} and closes it. */
    static NDArray activate(NDArray x, Act act, boolean training) {
        return switch (act) {
            case NONE -> x;
            case RELU -> Layers.reluAndFree(x);
            case HARDSWISH -> Layers.hardSwishAndFree(x);
            case SILU -> Layers.swishAndFree(x, training);
        };
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        initializeInSequence(manager, dataType, inputShapes[0], conv, bn);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {outputInSequence(inputShapes[0], conv)};
    }
}
