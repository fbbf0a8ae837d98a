package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/** Softmax probabilities and top classes of a batch of logits, read once. */
record Readout(float[] probabilities, long[] top, int classes) {
    static Readout of(NDArray logits) {
        try (NDArray probs = logits.softmax(1); NDArray top = logits.argMax(1)) {
            return new Readout(probs.toFloatArray(), top.toType(DataType.INT64, false).toLongArray(),
                    (int) logits.getShape().get(1));
        }
    }

    Prediction.StageOutcome outcome(int k) {
        int c = (int) top[k];
        return new Prediction.StageOutcome(c, probabilities[k * classes + c]);
    }

    float[] probabilities(int k) {
        return Arrays.copyOfRange(probabilities, k * classes, (k + 1) * classes);
    }
}
