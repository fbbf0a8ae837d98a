package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;

/**
 * A block whose layers sit in torchvision's {@code block} sequence and whose output is added to its input when shapes
 * allow (MobileNet-V3's inverted residual, EfficientNet's MBConv). Subclasses fill {@link #block} and may change the
 * branch before the sum (EfficientNet's stochastic depth).
 */
abstract class ResidualBranch extends TorchModule {
    protected final NamedSequential block;
    private final boolean residual;

    protected ResidualBranch(boolean residual) {
        this.block = register("block", new NamedSequential());
        this.residual = residual;
    }

    /** The branch's output before it is added to the input; closes {@code out} when it returns another array. */
    protected NDArray beforeSum(NDArray out, boolean training) {
        return out;
    }

    @Override
    protected final NDArray forward(ParameterStore store, NDArray x, boolean training) {
        NDArray out = apply(block, store, x, training);
        if (!residual) {
            return out;
        }
        out = beforeSum(out, training);
        NDArray sum = out.add(x);
        out.close();
        return sum;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        block.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return block.getOutputShapes(inputShapes);
    }
}
