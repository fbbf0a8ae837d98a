package org.anchornet.engine;

import java.nio.file.Path;
import java.util.List;
import org.anchornet.exits.DynamicInference;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.RiskControl;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.exits.ThresholdSearch;

/** Fitting a cascade's thresholds on a validation exit table under a budget, after checking the table fits it. */
public final class ThresholdFitting {
    private ThresholdFitting() {}

    /**
     * Thresholds under a budget of mean multiply-adds per image, with the cascade's own stage costs, by the
     * cross-validated choice between p^j, p^j on fewer stages and the coordinate search ({@link ThresholdFitter}). The table must have the cascade's stages and, where it says, its
     * architecture, window size and IoU thresholds.
     */
    public static ThresholdSearch.Policy fit(CascadeConfig config, ExitTable validation, double budget,
            ThresholdFitter.Method method) {
        checkMatches(config, validation);
        return new ThresholdFitter(validation, config.costs()).fit(budget, method).policy();
    }

    /**
     * Thresholds under a budget of mean milliseconds per image, priced with stage times measured on this cascade
     * ({@code bench --stage-times}) instead of multiply-adds; otherwise as {@link #fit}.
     */
    public static ThresholdSearch.Policy fitTime(CascadeConfig config, ExitTable validation, double budgetMs,
            StageTimesFile times, Path timesFile, ThresholdFitter.Method method) {
        checkMatches(config, validation);
        times.checkFits(config, timesFile);
        return new ThresholdFitter(validation, times.costs()).fit(budgetMs * 1e6, method).policy();
    }

    /**
     * Thresholds with a guarantee instead of a budget ({@link RiskControl}): one shared threshold for the early
     * stages, the cheapest the calibration table certifies. The table must match the cascade as for {@link #fit}.
     */
    public static RiskControl.Result fitRisk(CascadeConfig config, ExitTable calibration, RiskControl.Target target) {
        checkMatches(config, calibration);
        return RiskControl.fit(calibration, config.costs(), target);
    }

    private static void checkMatches(CascadeConfig config, ExitTable validation) {
        if (validation.stages() != config.stages()) {
            throw new IllegalArgumentException("the table has " + validation.stages() + " stages but the cascade "
                    + config.stages() + " (topk " + config.topK() + ")");
        }
        ExitTable.Metadata m = validation.metadata();
        m.arch().filter(a -> !a.equals(config.arch())).ifPresent(a -> {
            throw new IllegalArgumentException("the table was made with " + a + ", the cascade runs " + config.arch());
        });
        m.patchSize().filter(p -> p != config.patchSize()).ifPresent(p -> {
            throw new IllegalArgumentException("the table was made with " + p + " px windows, the cascade's are "
                    + config.patchSize());
        });
        if (!m.iouThresholds().isEmpty() && !m.iouThresholds().equals(config.iouThresholds())) {
            throw new IllegalArgumentException("the table was made with IoU thresholds " + m.iouThresholds()
                    + ", the cascade uses " + config.iouThresholds());
        }
    }

    /** What a cascade records about a fit. */
    public static CascadeConfig.ThresholdFit describe(ThresholdSearch.Policy policy, double budget, String table,
            String split, ExitTable validation) {
        return new CascadeConfig.ThresholdFit(policy.method(), budget, table, split, validation.images(),
                policy.validation().accuracy(), policy.validation().meanMultiplyAdds());
    }

    /** What a cascade records about a risk-controlled fit. */
    public static CascadeConfig.ThresholdFit describe(RiskControl.Result r, String table, String split,
            ExitTable calibration) {
        RiskControl.Target t = r.target();
        return new CascadeConfig.ThresholdFit("risk-control", null, table, split, calibration.images(),
                r.calibration().accuracy(), r.calibration().meanMultiplyAdds(), new CascadeConfig.RiskBound(
                        t.risk().key(), t.maxRisk(), t.delta(), r.exitsEarly() ? r.lambda() : null, r.empiricalRisk(),
                        r.pValue()), null);
    }

    /** What a cascade records about a fit under a time budget: its multiply-adds too, with the cascade's costs. */
    public static CascadeConfig.ThresholdFit describeTime(ThresholdSearch.Policy policy, double budgetMs,
            StageTimesFile times, CascadeConfig config, String table, String split, ExitTable validation) {
        Outcome macs = DynamicInference.evaluate(validation, policy.exitThresholds(), config.costs());
        return new CascadeConfig.ThresholdFit(policy.method(), null, table, split, validation.images(),
                policy.validation().accuracy(), macs.meanMultiplyAdds(), null, new CascadeConfig.TimeBudget(budgetMs,
                        times.msPerImage(), times.cpu(), policy.validation().meanMultiplyAdds() / 1e6));
    }

    /** A policy's thresholds as a cascade keeps them. */
    public static ExitThresholds stored(ThresholdSearch.Policy policy) {
        return policy.exitThresholds();
    }
}
