package org.anchornet.localize;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.LongConsumer;

/**
 * Where each image's patches come from: AnchorNet's proposals, or (for ablations at equal cost) windows chosen
 * without looking — at random or nearest the centre — under the same IoU rules.
 */
public interface WindowSource {
    /** Windows for each image of an N×3×S×S batch, best first. */
    Proposals propose(ParameterStore store, NDArray images);

    /** {@link #propose}, telling {@code networkNanos} the time spent in a network (AnchorNet's pass), if any. */
    default Proposals propose(ParameterStore store, NDArray images, LongConsumer networkNanos) {
        return propose(store, images);
    }

    PatchProposer proposer();

    /** AnchorNet's proposals. */
    static WindowSource anchorNet(Localizer localizer) {
        return new WindowSource() {
            @Override
            public Proposals propose(ParameterStore store, NDArray images) {
                return localizer.localize(store, images, nanos -> { });
            }

            @Override
            public Proposals propose(ParameterStore store, NDArray images, LongConsumer networkNanos) {
                return localizer.localize(store, images, networkNanos);
            }

            @Override
            public PatchProposer proposer() {
                return localizer.proposer();
            }
        };
    }

    /** Cells scored by closeness to the image centre. */
    static WindowSource centre(PatchProposer proposer) {
        int side = proposer.featureSide();
        float[] score = new float[side * side];
        double mid = (side - 1) / 2.0;
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                score[r * side + c] = (float) -((r - mid) * (r - mid) + (c - mid) * (c - mid));
            }
        }
        return fixed(proposer, n -> score);
    }

    /** Cells scored at random (seeded: the same seed gives the same windows in the same order of calls). */
    static WindowSource random(PatchProposer proposer, long seed) {
        Random random = new Random(seed);
        int cells = proposer.featureSide() * proposer.featureSide();
        return fixed(proposer, n -> {
            float[] score = new float[cells];
            for (int i = 0; i < cells; i++) {
                score[i] = random.nextFloat();
            }
            return score;
        });
    }

    private static WindowSource fixed(PatchProposer proposer, java.util.function.IntFunction<float[]> scores) {
        return new WindowSource() {
            @Override
            public synchronized Proposals propose(ParameterStore store, NDArray images) {
                int n = (int) images.getShape().get(0);
                List<List<Window>> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    out.add(proposer.propose(scores.apply(i)));
                }
                return new Proposals(List.of(), out);
            }

            @Override
            public PatchProposer proposer() {
                return proposer;
            }
        };
    }
}
