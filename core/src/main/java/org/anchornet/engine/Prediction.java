package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.anchornet.localize.Window;

/**
 * What the cascade decided for one image.
 *
 * @param predicted the cascade's answer: the class of the summed logits at the exit stage, or under the {@code
 *     most-confident} answer rule at the most confident stage the image went through
 * @param confidence its softmax probability
 * @param exitStage the stage the image left at, 1-based (1 = after the glance)
 * @param probabilities softmax of the summed logits of the answering stage, one per class
 * @param stages the prediction after each stage the image went through ({@code exitStage} entries)
 * @param windows every window proposed for the image, best first; empty when it left before any was needed
 * @param windowOutcomes the patch network's own prediction on each window it looked at ({@code exitStage − 1})
 * @param cam the class activation map the windows were ranked by (h×w, row-major), or null when none was computed
 * @param multiplyAdds what the image cost: the stage costs of its exit stage
 */
public record Prediction(int predicted, float confidence, int exitStage, float[] probabilities,
        List<StageOutcome> stages, List<Window> windows, List<StageOutcome> windowOutcomes, float[] cam,
        long multiplyAdds) {
    /** A class and its softmax probability. */
    public record StageOutcome(int predicted, float confidence) {}

    public Prediction {
        stages = List.copyOf(stages);
        windows = List.copyOf(windows);
        windowOutcomes = List.copyOf(windowOutcomes);
        if (stages.size() != exitStage || windowOutcomes.size() != exitStage - 1) {
            throw new IllegalArgumentException("an image leaving at stage " + exitStage + " has " + exitStage
                    + " stage outcomes and " + (exitStage - 1) + " window outcomes");
        }
    }

    /** The windows the patch network looked at (the first {@code exitStage − 1}). */
    public List<Window> usedWindows() {
        return windows.subList(0, Math.min(windows.size(), exitStage - 1));
    }

    /**
     * The answers of a single network (no cascade: one stage, no windows), each image charged {@code multiplyAdds};
     * read out as the cascade reads its stages.
     */
    public static List<Prediction> ofSingleNetwork(NDArray logits, long multiplyAdds) {
        Readout r = Readout.of(logits);
        List<Prediction> out = new ArrayList<>();
        for (int k = 0; k < logits.getShape().get(0); k++) {
            StageOutcome o = r.outcome(k);
            out.add(new Prediction(o.predicted(), o.confidence(), 1, r.probabilities(k), List.of(o), List.of(),
                    List.of(), null, multiplyAdds));
        }
        return out;
    }
}
