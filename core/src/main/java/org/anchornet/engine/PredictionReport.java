package org.anchornet.engine;

import com.google.gson.annotations.SerializedName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.anchornet.localize.Window;

/**
 * One image's prediction with class names, in the shape {@code predict} prints, the server answers and the Spark job
 * writes (field names in {@link SerializedName}).
 *
 * @param exitStage the stage the image left at (1 = after the glance)
 * @param multiplyAdds what the image cost; {@code gmacs} is the same in billions
 * @param stages the prediction after each stage the image went through
 * @param windows every proposed window, best first; {@code used} ones were looked at, and only those carry the patch
 *     network's own prediction
 */
public record PredictionReport(
        String image,
        @SerializedName("class") String className,
        @SerializedName("class_index") int classIndex,
        float confidence,
        @SerializedName("exit_stage") int exitStage,
        @SerializedName("multiply_adds") long multiplyAdds,
        double gmacs,
        List<ClassProbability> top10,
        @SerializedName("stage_predictions") List<StagePrediction> stages,
        List<WindowReport> windows) {

    /** A class and its probability. */
    public record ClassProbability(@SerializedName("class") String className,
            @SerializedName("class_index") int classIndex, float probability) {}

    /** The summed prediction after one stage. */
    public record StagePrediction(int stage, @SerializedName("class") String className,
            @SerializedName("class_index") int classIndex, float confidence) {}

    /**
     * A proposed window: {@code box} is (top, left, bottom, right), inclusive pixel bounds in the preprocessed image.
     */
    public record WindowReport(int rank, List<Integer> box, boolean used, @SerializedName("class") String className,
            @SerializedName("class_index") Integer classIndex, Float probability) {}

    public static PredictionReport of(String image, Prediction p, CascadeConfig config) {
        List<String> classes = config.classes();
        float[] probs = p.probabilities();
        List<ClassProbability> top = IntStream.range(0, probs.length).boxed()
                .sorted(Comparator.comparingDouble((Integer c) -> -probs[c]).thenComparingInt(c -> c)).limit(10)
                .map(c -> new ClassProbability(classes.get(c), c, probs[c])).toList();
        List<StagePrediction> stages = new ArrayList<>();
        for (int j = 0; j < p.stages().size(); j++) {
            Prediction.StageOutcome o = p.stages().get(j);
            stages.add(new StagePrediction(j + 1, classes.get(o.predicted()), o.predicted(), o.confidence()));
        }
        List<WindowReport> windows = new ArrayList<>();
        for (int r = 0; r < p.windows().size(); r++) {
            Window w = p.windows().get(r);
            List<Integer> box = List.of(w.top(), w.left(), w.bottomInclusive(), w.rightInclusive());
            if (r < p.windowOutcomes().size()) {
                Prediction.StageOutcome o = p.windowOutcomes().get(r);
                windows.add(new WindowReport(r + 1, box, true, classes.get(o.predicted()), o.predicted(),
                        o.confidence()));
            } else {
                windows.add(new WindowReport(r + 1, box, false, null, null, null));
            }
        }
        return new PredictionReport(image, classes.get(p.predicted()), p.predicted(), p.confidence(), p.exitStage(),
                p.multiplyAdds(), p.multiplyAdds() / 1e9, top, stages, windows);
    }
}
