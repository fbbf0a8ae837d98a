package org.anchornet.localize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The glance: the whole image resized as torch's {@code F.interpolate(x, size, mode='bicubic', align_corners=True)}
 * (no antialiasing; cubic coefficient −0.75; taps clamped at the borders). DJL's engine resize always antialiases and
 * its NDArray resize drops align_corners, so the resize is written here as two products with precomputed
 * interpolation matrices: {@code out = R_h · x · R_wᵀ}. Batched and differentiable.
 */
public final class Glance {
    private static final float A = -0.75f;

    private Glance() {}

    /** Resizes an N×C×H×W batch to N×C×size×size. */
    public static NDArray resize(NDArray images, int size) {
        Shape s = images.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("expected N×C×H×W images, got " + s);
        }
        if (size < 1) {
            throw new IllegalArgumentException("glance size must be positive, got " + size);
        }
        NDManager manager = images.getManager();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        try (NDArray rowMatrix = manager.create(matrix(h, size), new Shape(size, h));
                NDArray colMatrixT = manager.create(transpose(matrix(w, size), size, w), new Shape(w, size));
                NDArray cols = images.matMul(colMatrixT)) {
            return rowMatrix.matMul(cols);
        }
    }

    /** The out×in matrix whose row i holds the four bicubic weights of output pixel i. */
    static float[] matrix(int in, int out) {
        float[] m = new float[out * in];
        // The precision of each step follows torch's CPU kernel (float scale, double source index, float
        // coefficients); computing all in double would differ from torch by up to 1e-5 in the weights.
        float scale = out > 1 ? (float) (in - 1) / (out - 1) : 0f;
        for (int i = 0; i < out; i++) {
            double real = (double) scale * i;
            int floor = (int) Math.floor(real);
            float t = (float) (real - floor);
            float t2 = 1f - t;
            float[] weights = {cubic2(t + 1f), cubic1(t), cubic1(t2), cubic2(t2 + 1f)};
            for (int k = 0; k < 4; k++) {
                int src = Math.min(Math.max(floor - 1 + k, 0), in - 1);
                m[i * in + src] += weights[k];
            }
        }
        return m;
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = m[r * cols + c];
            }
        }
        return t;
    }

    private static float cubic1(float x) {
        return ((A + 2) * x - (A + 3)) * x * x + 1;
    }

    private static float cubic2(float x) {
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    }
}
