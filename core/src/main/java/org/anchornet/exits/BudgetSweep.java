package org.anchornet.exits;

import java.util.ArrayList;
import java.util.List;

/**
 * The accuracy-vs-cost frontier: for each budget, thresholds fit on validation by every candidate method and by the
 * cross-validated choice ({@link ThresholdFitter}), each scored on test.
 */
public final class BudgetSweep {
    /** One budget's result for one method ({@code cv} for the cross-validated choice, else a candidate's key). */
    public record Point(double budget, String method, double[] thresholds, Outcome validation, Outcome test) {}

    private BudgetSweep() {}

    /** Evenly spaced budgets from the cheapest to the most expensive stage. */
    public static List<Double> defaultBudgets(StageCosts costs, int count) {
        double lo = costs.stage(0);
        double hi = costs.stage(costs.stages() - 1);
        List<Double> budgets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            budgets.add(lo + (hi - lo) * i / (count - 1));
        }
        return budgets;
    }

    public static List<Point> run(ExitTable validation, ExitTable test, StageCosts costs, List<Double> budgets) {
        ThresholdFitter fitter = new ThresholdFitter(validation, costs);
        List<Point> points = new ArrayList<>();
        for (double budget : budgets) {
            ThresholdFitter.Result fit = fitter.fit(budget);
            points.add(point(budget, ThresholdFitter.Method.CROSS_VALIDATED.key(), fit.policy(), test, costs));
            fit.candidates().forEach((method, policy) -> points.add(point(budget, method.key(), policy, test, costs)));
        }
        return points;
    }

    /** The points of one method, in budget order. */
    public static List<Point> of(List<Point> points, ThresholdFitter.Method method) {
        return points.stream().filter(p -> p.method().equals(method.key())).toList();
    }

    private static Point point(double budget, String method, ThresholdSearch.Policy policy, ExitTable test,
            StageCosts costs) {
        return new Point(budget, method, policy.thresholds(), policy.validation(),
                policy.scoreOn(test, costs));
    }
}
