package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

/** A batch norm that can be merged, for inference, into what is next to it ({@link TorchModule#foldBatchNorms}). */
interface FoldableBatchNorm {
    /** Precomputes the folded form from the current parameters; {@code overwrite} may reuse parameter storage. */
    void fold(boolean overwrite);

    /** Drops the folded form, so that the batch norm runs from its parameters again. */
    void unfold();

    /** A parameter's array, which folding needs initialized. */
    static NDArray parameter(Block block, String name) {
        Parameter p = block.getParameters().get(name);
        if (p == null || !p.isInitialized()) {
            throw new IllegalStateException("cannot fold an uninitialized network (" + name + " missing)");
        }
        return p.getArray();
    }
}
