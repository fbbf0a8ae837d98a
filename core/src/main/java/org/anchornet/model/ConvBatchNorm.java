package org.anchornet.model;

import static org.anchornet.model.FoldableBatchNorm.parameter;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;

/**
 * A convolution followed by a batch norm, both registered in their module under their torch names. Normally the two
 * run one after the other. After {@link #fold}, an inference pass runs one convolution whose weight and bias absorb
 * the batch norm's running statistics and affine terms, saving a full read and write of the activation. Training
 * passes are refused while folded ({@link TorchModule#checkTrainable}): the copy would go stale as the weights move.
 */
public final class ConvBatchNorm implements FoldableBatchNorm {
    private final Layers.Conv conv;
    private final Block batchNorm;
    private NDArray foldedWeight;
    private NDArray foldedBias;
    private boolean foldedInPlace;

    public ConvBatchNorm(Layers.Conv conv, Block batchNorm) {
        this.conv = conv;
        this.batchNorm = batchNorm;
    }

    NDArray apply(ParameterStore store, NDArray x, boolean training) {
        if (foldedWeight == null) {
            NDArray y = TorchModule.apply(conv, store, x, training);
            return TorchModule.applyAndFree(batchNorm, store, y, training);
        }
        NDArray y = Conv2d.conv2d(x, foldedWeight, foldedBias, conv.stride(), conv.padding(), conv.dilation(),
                conv.groups()).singletonOrThrow();
        CostCounter.record(conv, x.getShape(), y.getShape());
        return y;
    }

    /**
     * Computes the folded weight and bias from the current parameters; they live on the weight's manager. With
     * {@code overwrite} the convolution's own weight becomes the folded one (no second copy of it is kept, which for
     * DenseNet-201 is 50 MB and for ResNet-50 all 94 MB of conv weights) and the pair can never be unfolded.
     */
    @Override
    public void fold(boolean overwrite) {
        if (foldedInPlace) {
            throw new IllegalStateException("batch norms were already folded into the convolution weights in place");
        }
        unfold();
        NDArray weight = parameter(conv, "weight");
        // Results of DJL ops attach to their first operand's manager (the model's), so intermediates are closed here.
        try (NDArray std = parameter(batchNorm, "runningVar").add(Layers.epsilonOf(batchNorm)).sqrt();
                NDArray scale = parameter(batchNorm, "gamma").div(std);
                NDArray meanShift = parameter(batchNorm, "runningMean").mul(scale);
                NDArray column = scale.reshape(-1, 1, 1, 1)) {
            NDArray shift = parameter(batchNorm, "beta").sub(meanShift);
            if (conv.hasBias()) {
                try (NDArray biasShift = parameter(conv, "bias").mul(scale); NDArray unbiased = shift) {
                    shift = unbiased.add(biasShift);
                }
            }
            if (overwrite) {
                // A detached view, so that the in-place product is allowed on a parameter in any grad mode.
                try (NDArray data = weight.stopGradient()) {
                    data.muli(column);
                }
                foldedWeight = weight;
                foldedInPlace = true;
            } else {
                foldedWeight = weight.mul(column);
            }
            foldedBias = shift;
        }
    }

    @Override
    public void unfold() {
        if (foldedInPlace) {
            throw new IllegalStateException("this network's batch norms were folded into its convolution weights in"
                    + " place for inference; the original weights are gone: load the network again to train or save"
                    + " it");
        }
        if (foldedWeight != null) {
            foldedWeight.close();
            foldedBias.close();
            foldedWeight = null;
            foldedBias = null;
        }
    }
}
