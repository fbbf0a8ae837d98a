package org.anchornet.model;

/** A batch norm that can be merged, for inference, into what is next to it ({@link TorchModule#foldBatchNorms}). */
interface FoldableBatchNorm {
    /** Precomputes the folded form from the current parameters; {@code overwrite} may reuse parameter storage. */
    void fold(boolean overwrite);

    /** Drops the folded form, so that the batch norm runs from its parameters again. */
    void unfold();
}
