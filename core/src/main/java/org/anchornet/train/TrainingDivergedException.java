package org.anchornet.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.anchornet.model.StateDictMapper;
import org.anchornet.model.TorchModule;

/** Training produced a non-finite loss or non-finite weights; the message names the epoch and step. */
public class TrainingDivergedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private static final String ADVICE = "; nothing of this epoch was saved (lower the learning rate and resume from"
            + " the last checkpoint)";

    public TrainingDivergedException(String message) {
        super(message);
    }

    /** Refuses a step whose loss is not finite (epoch and step 0-based). */
    static void checkLoss(float loss, int epoch, int step) {
        if (!Float.isFinite(loss)) {
            throw new TrainingDivergedException("training diverged in epoch " + (epoch + 1) + ", step " + (step + 1)
                    + ": the loss is " + loss + ADVICE);
        }
    }

    /** Refuses to save weights that are no longer finite (a diverged run would otherwise look like a result). */
    static void checkParameters(TorchModule network, int epoch) {
        for (Map.Entry<String, ai.djl.nn.Parameter> e : StateDictMapper.parameters(network).entrySet()) {
            NDArray a = e.getValue().getArray();
            try (NDArray bad = a.isNaN().logicalOr(a.isInfinite()).any()) {
                if (bad.getBoolean()) {
                    throw new TrainingDivergedException("training diverged in epoch " + (epoch + 1) + ": parameter "
                            + e.getKey() + " is no longer finite" + ADVICE);
                }
            }
        }
    }
}
