package org.anchornet.exits;

import java.util.Arrays;

/**
 * Which of the stages an image went through gives the cascade's answer, and so whose confidence the {@link ExitRule}
 * tests.
 *
 * <ul>
 *   <li>{@code exit-stage} (the paper's): the summed logits of the stage the image leaves at.
 *   <li>{@code most-confident} (beyond the paper): the most confident of the stages run so far, the earliest on a tie.
 *       The image leaves once that confidence passes the stage's threshold. A later window that lowers the confidence
 *       then no longer overrides a confident earlier answer. On the authors' ImageNet table this gains 0.1–0.15
 *       points held out at 1.78 G and loses a few hundredths at 1.25 G (docs/benchmarks.md), so the default fit
 *       chooses it only by cross-validation.
 * </ul>
 */
public enum Answer {
    EXIT_STAGE("exit-stage"), MOST_CONFIDENT("most-confident");

    private final String key;

    Answer(String key) {
        this.key = key;
    }

    /** The name on the command line and in {@code cascade.json}. */
    public String key() {
        return key;
    }

    public static Answer parse(String key) {
        for (Answer a : values()) {
            if (a.key.equals(key)) {
                return a;
            }
        }
        throw new IllegalArgumentException("no answer rule '" + key + "'; one of "
                + Arrays.stream(values()).map(Answer::key).toList());
    }
}
