package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.anchornet.exits.StageCosts;
import org.anchornet.localize.Proposals;
import org.anchornet.localize.Window;

/** What one image went through, filled stage by stage. */
final class Trace {
    final List<Prediction.StageOutcome> stages = new ArrayList<>();
    final List<Prediction.StageOutcome> windowOutcomes = new ArrayList<>();
    List<Window> windows = List.of();
    float[] cam;
    /** The stage outcome that answers so far (the last one, unless the answer rule keeps a more confident one). */
    Prediction.StageOutcome answer;
    /** The answer's softmax probabilities, one per class. */
    float[] probabilities;

    /** Each image's proposed windows (and AnchorNet's map, when the source has one), in the order of the traces. */
    static void recordProposals(Proposals proposals, List<Trace> traces) {
        for (int k = 0; k < traces.size(); k++) {
            Trace t = traces.get(k);
            t.windows = proposals.windows().get(k);
            t.cam = proposals.hasCams() ? proposals.cams().get(k) : null;
        }
    }

    /** The patch network's outcome on each image's current window. */
    static void recordWindowOutcomes(NDArray patchLogits, List<Trace> traces) {
        Readout r = Readout.of(patchLogits);
        for (int k = 0; k < traces.size(); k++) {
            traces.get(k).windowOutcomes.add(r.outcome(k));
        }
    }

    Prediction toPrediction(StageCosts costs) {
        return new Prediction(answer.predicted(), answer.confidence(), stages.size(), probabilities, stages, windows,
                windowOutcomes, cam, costs.stage(stages.size() - 1));
    }
}
