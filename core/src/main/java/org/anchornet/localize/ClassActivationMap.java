package org.anchornet.localize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Class activation maps from AnchorNet's outputs: for each image, the feature map weighted per channel by the
 * classifier row of the image's top-1 class, averaged over channels.
 */
public final class ClassActivationMap {
    private ClassActivationMap() {}

    /**
     * @param features N×C×h×w feature map
     * @param classifierWeight classes×C classifier weight
     * @param logits N×classes logits
     * @return N×h×w maps
     */
    public static NDArray compute(NDArray features, NDArray classifierWeight, NDArray logits) {
        Shape fs = features.getShape();
        if (fs.dimension() != 4 || classifierWeight.getShape().get(1) != fs.get(1)
                || logits.getShape().get(0) != fs.get(0)) {
            throw new IllegalArgumentException("CAM needs N×C×h×w features, classes×C weights and N×classes logits; got "
                    + fs + ", " + classifierWeight.getShape() + ", " + logits.getShape());
        }
        try (NDArray top = logits.argMax(1);
                NDArray rows = classifierWeight.get(top);
                NDArray weights = rows.reshape(fs.get(0), fs.get(1), 1, 1);
                NDArray weighted = features.mul(weights)) {
            return weighted.mean(new int[] {1});
        }
    }
}
