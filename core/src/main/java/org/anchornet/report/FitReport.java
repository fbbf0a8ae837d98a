package org.anchornet.report;

import com.google.gson.annotations.SerializedName;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.exits.ThresholdSearch;

/**
 * A budgeted threshold fit as one JSON object ({@code dynamic-inference --budget G --json}): accuracies are fractions,
 * multiply-adds G per image. Thresholds are spelled as in {@code cascade.json}: null for a stage that never lets an
 * image leave early, and {@code last_stage} (1-based) is where every image still in leaves.
 */
public record FitReport(double budget, String chosen, List<Fit> fits, Selection selection) {
    /** One candidate's thresholds, the answer rule they were fit for ({@code exit-stage}, …), and how they score. */
    public record Fit(String method, List<Double> thresholds, @SerializedName("last_stage") int lastStage,
            String answer, Score validation, Score test) {}

    /** Accuracy (a fraction) and mean G multiply-adds per image. */
    public record Score(double accuracy, @SerializedName("multiply_adds") double multiplyAdds) {
        static Score of(Outcome o) {
            return new Score(o.accuracy(), o.meanGigaMultiplyAdds());
        }
    }

    /** How the choice was made, with each candidate's held-out figures when it was cross-validated. */
    public record Selection(String method, int folds, @SerializedName("cross_validation") Map<String, Held> heldOut) {}

    /** A candidate in cross-validation: accuracy, cost and its paired gain over p^j with the gain's standard error. */
    public record Held(double accuracy, @SerializedName("multiply_adds") double multiplyAdds,
            @SerializedName("gain_over_pj") double gainOverPj, @SerializedName("standard_error") double standardError) {}

    public static FitReport of(double budget, ThresholdFitter.Result result, ExitTable test, StageCosts costs) {
        List<Fit> fits = new ArrayList<>();
        for (ThresholdSearch.Policy p : result.candidates().values()) {
            ExitThresholds t = p.exitThresholds();
            fits.add(new Fit(p.method(), t.stored(), t.lastStage() + 1, t.answer().key(), Score.of(p.validation()),
                    Score.of(p.scoreOn(test, costs))));
        }
        Map<String, Held> held = new LinkedHashMap<>();
        result.crossValidation().forEach((m, cv) -> held.put(m.key(), new Held(cv.accuracy(),
                cv.meanMultiplyAdds() / 1e9, cv.gainOverPj(), cv.standardError())));
        String how = held.isEmpty() ? result.chosen().key() : ThresholdFitter.Method.CROSS_VALIDATED.key();
        return new FitReport(budget / 1e9, result.chosen().key(), fits,
                new Selection(how, held.isEmpty() ? 0 : ThresholdFitter.FOLDS, held));
    }
}
