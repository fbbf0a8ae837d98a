package org.anchornet.model;

import static org.anchornet.model.FoldableBatchNorm.parameter;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * A batch norm followed by ReLU on an input that no convolution precedes directly (DenseNet's pre-activations, whose
 * input is the concatenation of all earlier features). Folded for inference into a per-channel scale and shift, which
 * on a temporary input are written into it: no fresh activation-sized buffer, as torch's in-place ReLU saves one.
 * The concatenations are DenseNet's largest activations and grow layer by layer; one more of them per layer fragmented
 * the allocator's heap enough to raise DenseNet-201's peak resident memory by 150-200 MB (docs/benchmarks.md).
 */
final class BatchNormRelu implements FoldableBatchNorm {
    private final Block batchNorm;
    private NDArray scale;
    private NDArray shift;

    BatchNormRelu(Block batchNorm) {
        this.batchNorm = batchNorm;
    }

    /** relu(batchNorm(x)); folded with {@code xIsTemporary}, {@code x} is overwritten (the caller still closes it). */
    NDArray apply(ParameterStore store, NDArray x, boolean training, boolean xIsTemporary) {
        if (scale == null || !xIsTemporary) {
            return Layers.reluAndFree(TorchModule.apply(batchNorm, store, x, training));
        }
        x.muli(scale).addi(shift);
        return x.getNDArrayInternal().relu();
    }

    @Override
    public void fold(boolean overwrite) {
        unfold();
        try (NDArray std = parameter(batchNorm, "runningVar").add(Layers.epsilonOf(batchNorm)).sqrt();
                NDArray gain = parameter(batchNorm, "gamma").div(std);
                NDArray meanShift = parameter(batchNorm, "runningMean").mul(gain);
                NDArray offset = parameter(batchNorm, "beta").sub(meanShift)) {
            scale = gain.reshape(1, -1, 1, 1);
            shift = offset.reshape(1, -1, 1, 1);
        }
    }

    @Override
    public void unfold() {
        if (scale != null) {
            scale.close();
            shift.close();
            scale = null;
            shift = null;
        }
    }

}
