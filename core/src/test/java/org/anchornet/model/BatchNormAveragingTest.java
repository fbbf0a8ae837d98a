package org.anchornet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;

/** Recalibration averages the passes' batch statistics plainly, whatever momentum the layer trains with. */
class BatchNormAveragingTest {
    @Test
    void runningMeanBecomesTheMeanOfThePassesAndTheLayersMomentumComesBack() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block bn = Layers.batchNorm(1e-3f, 0.01f); // MobileNet-V3's settings
            bn.initialize(manager, DataType.FLOAT32, new Shape(4, 2, 3, 3));
            ParameterStore store = new ParameterStore(manager, false);
            float[] channelMeans = {1f, 2f, 6f}; // pass k feeds channel 0 the value m_k, channel 1 the value −2·m_k
            try (BatchNormAveraging averaging = BatchNormAveraging.start(bn)) {
                assertEquals(1, averaging.layers());
                for (float m : channelMeans) {
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray x = scope.ones(new Shape(4, 1, 3, 3)).mul(m)
                                .concat(scope.ones(new Shape(4, 1, 3, 3)).mul(-2 * m), 1);
                        averaging.nextPass();
                        bn.forward(store, new NDList(x), true);
                    }
                }
            }
            NDArray runningMean = bn.getParameters().get("runningMean").getArray();
            assertArrayEquals(new float[] {3f, -6f}, runningMean.toFloatArray(), 1e-5f);

            // afterwards the layer trains with its own momentum again: one more pass moves the mean by 1%
            try (NDManager scope = manager.newSubManager()) {
                NDArray x = scope.zeros(new Shape(4, 2, 3, 3));
                bn.forward(store, new NDList(x), true);
            }
            assertArrayEquals(new float[] {3f * 0.99f, -6f * 0.99f}, runningMean.toFloatArray(), 1e-5f);
        }
    }
}
