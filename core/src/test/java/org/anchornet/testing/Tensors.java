package org.anchornet.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import org.anchornet.torchio.TorchTensor;

/** Assertions comparing DJL outputs with PyTorch-made expectations. */
public final class Tensors {
    private Tensors() {}

    /** |actual − expected| ≤ tol · max(1, max|expected|) everywhere, and equal shapes. */
    public static void assertClose(TorchTensor expected, NDArray actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.getShape().getShape(), what + " shape");
        float[] e = expected.toFloatArray();
        float[] a = actual.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        double scale = 1;
        for (float v : e) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - a[i]));
        }
        assertTrue(worst <= tol * scale, what + ": max abs difference " + worst + " > " + tol * scale);
    }
}
