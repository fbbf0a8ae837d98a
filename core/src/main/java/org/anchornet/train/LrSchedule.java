package org.anchornet.train;

import java.util.List;

/** Per-epoch learning rates as the reference scripts set them (the rate is fixed within an epoch). */
public sealed interface LrSchedule {
    double rate(int epoch);

    /** lr · 0.1^(number of milestones ≤ epoch): torch's MultiStepLR / bisect_right. */
    record MultiStep(double base, List<Integer> milestones) implements LrSchedule {
        public MultiStep {
            milestones = List.copyOf(milestones);
        }

        @Override
        public double rate(int epoch) {
            long passed = milestones.stream().filter(m -> m <= epoch).count();
            return base * Math.pow(0.1, passed);
        }
    }

    /** lr · ½(1 + cos(π · epoch / epochs)). */
    record Cosine(double base, int epochs) implements LrSchedule {
        @Override
        public double rate(int epoch) {
            return base * 0.5 * (1 + Math.cos(Math.PI * epoch / epochs));
        }
    }
}
