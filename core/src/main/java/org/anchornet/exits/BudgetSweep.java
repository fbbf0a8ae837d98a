package org.anchornet.exits;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The accuracy-vs-cost frontier: for each budget, thresholds fit on validation and scored on test. */
public final class BudgetSweep {
    /** One budget's result for one method. */
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
        ThresholdSearch search = new ThresholdSearch(validation, costs);
        List<Point> points = new ArrayList<>();
        for (double budget : budgets) {
            Optional<ThresholdSearch.Policy> geometric = search.bestGeometric(budget);
            geometric.ifPresent(p -> points.add(point(budget, "p^j", p, test, costs)));
            points.add(point(budget, "search", search.search(budget), test, costs));
        }
        return points;
    }

    private static Point point(double budget, String method, ThresholdSearch.Policy policy, ExitTable test,
            StageCosts costs) {
        return new Point(budget, method, policy.thresholds(), policy.validation(),
                DynamicInference.evaluate(test, policy.thresholds(), costs));
    }
}
