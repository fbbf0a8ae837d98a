package org.anchornet.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * Preprocessed RGB images packed for a network: {@code count} images of 3×side×side floats, channel-major, one after
 * another, as an N×3×S×S tensor wants them. This is the one place pixels are packed into a batch and turned into a
 * tensor, so the engine, the server, the Spark job, the table maker and training agree on the layout.
 *
 * <p>The pixel array is taken as given, not copied: whoever builds a batch hands the array over.
 */
public record ImageBatch(float[] pixels, int count, int side) {
    public static final int CHANNELS = 3;

    public ImageBatch {
        if (count < 0 || side < 0 || (count > 0 && side == 0)) {
            throw new IllegalArgumentException("a batch needs a non-negative count and a positive side, not " + count
                    + " images of side " + side);
        }
        if ((long) count * CHANNELS * side * side != pixels.length) {
            throw new IllegalArgumentException(pixels.length + " values are not " + count + " images of 3×" + side
                    + "×" + side);
        }
    }

    /** Packs images that are each 3×side×side floats (as {@code Cascade.preprocess} or a transform gives them). */
    public static ImageBatch pack(List<float[]> images, int side) {
        int per = CHANNELS * side * side;
        float[] all = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            float[] one = images.get(i);
            if (one.length != per) {
                throw new IllegalArgumentException("image " + i + " has " + one.length + " values, not 3×" + side + "×"
                        + side);
            }
            System.arraycopy(one, 0, all, i * per, per);
        }
        return new ImageBatch(all, images.size(), side);
    }

    /**
     * Packs images whose side is not known to the caller (a data-loading transform decides it); every image must be
     * the same square 3×S×S.
     */
    public static ImageBatch pack(List<float[]> images) {
        return images.isEmpty() ? new ImageBatch(new float[0], 0, 0) : pack(images, sideOf(images.get(0).length));
    }

    /** An empty batch of the given side. */
    public static ImageBatch empty(int side) {
        return new ImageBatch(new float[0], 0, side);
    }

    private static int sideOf(int values) {
        int side = (int) Math.round(Math.sqrt(values / (double) CHANNELS));
        if ((long) CHANNELS * side * side != values) {
            throw new IllegalArgumentException(values + " values are not one 3×S×S image");
        }
        return side;
    }

    public int valuesPerImage() {
        return CHANNELS * side * side;
    }

    /** The N×3×S×S tensor, owned by {@code manager}. */
    public NDArray toNDArray(NDManager manager) {
        return manager.create(pixels, new Shape(count, CHANNELS, side, side));
    }

    /** A copy of image {@code i}'s 3×S×S values. */
    public float[] image(int i) {
        int per = valuesPerImage();
        return Arrays.copyOfRange(pixels, i * per, (i + 1) * per);
    }
}
