package org.anchornet.engine;

import org.anchornet.exits.Answer;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitThresholds;

/** Decides, after each stage but the last, whether an image leaves; the last stage takes every image still in. */
@FunctionalInterface
public interface ExitPolicy {
    /**
     * @param image the image's index in the batch given to {@link EarlyExitEngine#run}
     * @param stage 0-based stage just computed
     * @param confidence the confidence of the image's answer after that stage: the max softmax probability of the
     *     summed logits, under {@link Answer#MOST_CONFIDENT} the highest of the stages so far
     */
    boolean leaves(int image, int stage, float confidence);

    /** Whose prediction answers for an image; the exit stage's unless the policy says otherwise. */
    default Answer answer() {
        return Answer.EXIT_STAGE;
    }

    /** This policy for a slice of its batch that starts at image {@code first}. */
    default ExitPolicy from(int first) {
        ExitPolicy whole = this;
        return new ExitPolicy() {
            @Override
            public boolean leaves(int image, int stage, float confidence) {
                return whole.leaves(first + image, stage, confidence);
            }

            @Override
            public Answer answer() {
                return whole.answer();
            }
        };
    }

    /** The {@link ExitRule} with one threshold per stage, and the thresholds' answer rule. */
    static ExitPolicy thresholds(ExitThresholds thresholds) {
        double[] t = thresholds.toArray();
        Answer answer = thresholds.answer();
        return new ExitPolicy() {
            @Override
            public boolean leaves(int image, int stage, float confidence) {
                return ExitRule.passes(confidence, t[stage]);
            }

            @Override
            public Answer answer() {
                return answer;
            }
        };
    }

    /** Replays given exits: image i leaves after stage {@code exitStages[i]} (1-based). */
    static ExitPolicy exitStages(int[] exitStages) {
        int[] e = exitStages.clone();
        return (image, stage, confidence) -> e[image] <= stage + 1;
    }

    /** Every image goes through every stage (for exit tables). */
    static ExitPolicy never() {
        return (image, stage, confidence) -> false;
    }
}
