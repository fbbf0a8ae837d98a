package org.anchornet.exits;

import java.util.function.IntToDoubleFunction;

/**
 * The exit rule, in one place: after stage j an image leaves when the confidence of its answer (the max softmax
 * probability of the summed logits; under {@link Answer#MOST_CONFIDENT} the highest of the stages run so far) is
 * strictly greater than stage j's threshold. A threshold of +∞ means the stage never lets an image leave early, −∞
 * that every image still in leaves there. The simulation on tables ({@link DynamicInference}, {@link ThresholdSearch})
 * and the batched engine both decide with these methods.
 */
public final class ExitRule {
    private ExitRule() {}

    /**
     * Whether a stage replaces the answer so far under {@link Answer#MOST_CONFIDENT}: only when strictly more
     * confident, so the earliest of equally confident stages answers.
     */
    public static boolean replacesAnswer(double confidence, double answerConfidence) {
        return confidence > answerConfidence;
    }

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
     * The stage (0-based) whose prediction answers for an image that has gone through stages 0..{@code upTo}: that
     * stage under {@link Answer#EXIT_STAGE}, the most confident of them (the earliest on a tie) under {@link
     * Answer#MOST_CONFIDENT}.
     */
    public static int answerStage(IntToDoubleFunction confidence, int upTo, Answer answer) {
        if (answer == Answer.EXIT_STAGE) {
            return upTo;
        }
        int best = 0;
        for (int stage = 1; stage <= upTo; stage++) {
            if (replacesAnswer(confidence.applyAsDouble(stage), confidence.applyAsDouble(best))) {
                best = stage;
            }
        }
        return best;
    }

    /** {@link #exitStage(IntToDoubleFunction, double[])} with the answer rule's confidence after each stage. */
    public static int exitStage(IntToDoubleFunction confidence, ExitThresholds thresholds) {
        Answer answer = thresholds.answer();
        return exitStage(stage -> confidence.applyAsDouble(answerStage(confidence, stage, answer)),
                thresholds.toArray());
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
