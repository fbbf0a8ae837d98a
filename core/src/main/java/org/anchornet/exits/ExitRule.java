package org.anchornet.exits;

import java.util.function.IntToDoubleFunction;

/**
 * The exit rule, in one place: after stage j an image leaves when the max softmax confidence of its summed logits is
 * strictly greater than stage j's threshold. A threshold of +∞ means the stage never lets an image leave early, −∞
 * that every image still in leaves there. The simulation on tables ({@link DynamicInference}, {@link ThresholdSearch})
 * and the batched engine both decide with these methods.
 */
public final class ExitRule {
    private ExitRule() {}

    /** Whether a stage's confidence lets the image leave at a stage with this threshold. */
    public static boolean passes(double confidence, double threshold) {
        return confidence > threshold;
    }

    /**
     * The first stage in {@code [from, to)} whose confidence passes its threshold, or −1 when none does.
     *
     * @param confidence the image's confidence after each stage (0-based)
     */
    public static int firstExit(IntToDoubleFunction confidence, double[] thresholds, int from, int to) {
        for (int stage = from; stage < to; stage++) {
            if (passes(confidence.applyAsDouble(stage), thresholds[stage])) {
                return stage;
            }
        }
        return -1;
    }

    /**
     * The stage (0-based) where a cascade lets the image go: the first that passes, and otherwise the last stage,
     * which takes every image still in whatever its threshold.
     */
    public static int exitStage(IntToDoubleFunction confidence, double[] thresholds) {
        int last = thresholds.length - 1;
        int stage = firstExit(confidence, thresholds, 0, last);
        return stage >= 0 ? stage : last;
    }

    /**
     * The cascade's effective last stage (0-based): the first whose threshold is −∞, where every image still in
     * leaves and after which no stage is ever run; the last stage when none is.
     */
    public static int lastStage(double[] thresholds) {
        for (int stage = 0; stage < thresholds.length; stage++) {
            if (thresholds[stage] == Double.NEGATIVE_INFINITY) {
                return stage;
            }
        }
        return thresholds.length - 1;
    }
}
