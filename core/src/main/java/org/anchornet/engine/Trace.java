package org.anchornet.engine;

import java.util.ArrayList;
import java.util.List;
import org.anchornet.exits.StageCosts;
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

    Prediction toPrediction(StageCosts costs) {
        return new Prediction(answer.predicted(), answer.confidence(), stages.size(), probabilities, stages, windows,
                windowOutcomes, cam, costs.stage(stages.size() - 1));
    }
}
