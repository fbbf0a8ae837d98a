package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Base of every model block here. Children are registered under their PyTorch attribute names, so the path of a
 * parameter in the block tree is its state-dict key (see {@link StateDictMapper}). Forward passes close their own
 * intermediates as soon as they are used: DJL would otherwise keep every activation of a batch alive until the
 * batch's manager closes (autograd keeps what it needs through its own references).
 */
public abstract class TorchModule extends AbstractBlock {
    protected TorchModule() {
        super((byte) 1);
    }

    /** Registers a child under its torch attribute name (e.g. {@code conv1}, {@code 0}, {@code denselayer3}). */
    protected final <B extends Block> B register(String torchName, B block) {
        return addChildBlock(torchName, block);
    }

    /** Runs a single-input, single-output child, recording the call for the cost counter when one is active. */
    protected static NDArray apply(Block child, ParameterStore store, NDArray x, boolean training) {
        NDArray y = child.forward(store, new NDList(x), training).singletonOrThrow();
        CostCounter.record(child, x.getShape(), y.getShape());
        return y;
    }

    /** Runs a child and closes its input, which the caller created and no longer needs. */
    protected static NDArray applyAndFree(Block child, ParameterStore store, NDArray x, boolean training) {
        NDArray y = apply(child, store, x, training);
        if (y != x) {
            x.close();
        }
        return y;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(store, inputs.singletonOrThrow(), training));
    }

    /** The block's computation on one array; must not close {@code x}. */
    protected abstract NDArray forward(ParameterStore store, NDArray x, boolean training);

    /** Initializes children in registration order, each on the previous child's output shape. */
    protected final Shape initializeInSequence(NDManager manager, DataType dataType, Shape input, Block... blocks) {
        Shape[] shapes = {input};
        for (Block block : blocks) {
            block.initialize(manager, dataType, shapes);
            shapes = block.getOutputShapes(shapes);
        }
        return shapes[0];
    }

    /** Output shape of children applied in order. */
    protected static Shape outputInSequence(Shape input, Block... blocks) {
        Shape[] shapes = {input};
        for (Block block : blocks) {
            shapes = block.getOutputShapes(shapes);
        }
        return shapes[0];
    }
}
