package org.anchornet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hardswish and hardsigmoid divide by 6, and autograd keeps the divisor for backward. When that divisor was a DJL
 * scalar over a direct buffer closed right after the forward op, a garbage collection between forward and backward
 * freed the buffer and the gradient read whatever reused the memory (MobileNet-V3 diverged at a random step). This
 * test forces the collection and fills freshly freed small blocks with NaN before backward.
 */
class ActivationGradientTest {
    private static final float[] X = {-4f, -1f, 0.5f, 2f, 5f};

    @Test
    void hardSwishGradientSurvivesACollectionBetweenForwardAndBackward() throws Exception {
        // d/dx x·relu6(x+3)/6: 0 below −3, (2x+3)/6 between, 1 above 3
        float[] expected = {0f, 1f / 6, 4f / 6, 7f / 6, 1f};
        assertArrayEquals(expected, gradient(true), 1e-6f);
    }

    @Test
    void hardSigmoidGradientSurvivesACollectionBetweenForwardAndBackward() throws Exception {
        float[] expected = {0f, 1f / 6, 1f / 6, 1f / 6, 0f};
        assertArrayEquals(expected, gradient(false), 1e-6f);
    }

    private static float[] gradient(boolean swish) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.create(X);
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray input = x.add(0f); // a non-leaf: the activations close their input
                NDArray y = swish ? Layers.hardSwishAndFree(input) : Layers.hardSigmoidAndFree(input);
                List<ByteBuffer> poison = collectAndPoisonFreedBlocks();
                collector.backward(y.sum());
                poison.clear();
            }
            return x.getGradient().toFloatArray();
        }
    }

    /** Runs the collector and its cleaner, then takes small native blocks (as freed scalars were) and fills them. */
    private static List<ByteBuffer> collectAndPoisonFreedBlocks() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(40);
        }
        List<ByteBuffer> held = new ArrayList<>();
        for (int i = 0; i < 4096; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            held.add(b);
        }
        return held;
    }
}
