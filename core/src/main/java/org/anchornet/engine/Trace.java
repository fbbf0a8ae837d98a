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
    float[] probabilities;

    Prediction toPrediction(StageCosts costs) {
        Prediction.StageOutcome exit = stages.get(stages.size() - 1);
        return new Prediction(exit.predicted(), exit.confidence(), stages.size(), probabilities, stages, windows,
                windowOutcomes, cam, costs.stage(stages.size() - 1));
    }
}
