package org.anchornet.model;

import java.util.List;

/**
 * The exact input window that one cell of a conv net's feature map sees, derived layer by layer: a k×k layer with
 * stride s grows the window by (k−1)·jump and multiplies the jump by s. This is exact only without padding: a
 * padded border cell would see zeros outside the image, so its window would not be a crop of the input.
 */
public record ReceptiveField(int size, int stride, List<Layer> layers) {
    /** One spatial layer in forward order (1×1 convolutions and pooling to 1×1 do not matter). */
    public record Layer(String name, int kernel, int stride, int padding) {}

    public ReceptiveField {
        layers = List.copyOf(layers);
    }

    /** Derives the window of a chain of layers; refuses padding, which breaks the exact window-to-cell mapping. */
    public static ReceptiveField of(List<Layer> layers) {
        int size = 1;
        int jump = 1;
        for (Layer layer : layers) {
            if (layer.padding() != 0) {
                throw new IllegalArgumentException("layer " + layer.name() + " pads its input by " + layer.padding()
                        + " px, so border cells see padding rather than image pixels and no longer map to exact "
                        + "input windows; patch localization needs a network built without padding");
            }
            size += (layer.kernel() - 1) * jump;
            jump *= layer.stride();
        }
        return new ReceptiveField(size, jump, layers);
    }

    /** Side of the feature map for a square input of the given side. */
    public int featureSize(int inputSize) {
        int side = inputSize;
        for (Layer layer : layers) {
            side = (side - layer.kernel()) / layer.stride() + 1;
            if (side < 1) {
                throw new IllegalArgumentException("input of " + inputSize + " px is smaller than the " + size
                        + " px window that one feature cell needs");
            }
        }
        return side;
    }
}
