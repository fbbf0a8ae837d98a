package org.anchornet.exits;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Chooses exit thresholds on a validation table to maximize accuracy under a budget of mean multiply-adds per image.
 * Two methods: the one of MSDNet/GFNet (the share of images leaving at stage j is ∝ p^j, thresholds are confidence
 * quantiles of the images still in, best p under the budget), and a coordinate search that starts from that policy
 * and only accepts improvements, so it is never worse on validation. Each coordinate step is an exact line search:
 * for stage j it scores every possible number of images leaving at j at once, from prefix sums over the images in
 * descending confidence. Every image exits by the last stage (threshold −∞).
 */
public final class ThresholdSearch {
    /**
     * A threshold vector, the answer rule it was fit for, and how it scores on the validation table (as that rule
     * sees it).
     */
    public record Policy(String method, double[] thresholds, Outcome validation, Answer answer) {
        public Policy {
            thresholds = thresholds.clone();
            java.util.Objects.requireNonNull(answer, "answer");
        }

        /** A policy answering with the exit stage's prediction (the paper's rule). */
        public Policy(String method, double[] thresholds, Outcome validation) {
            this(method, thresholds, validation, Answer.EXIT_STAGE);
        }

        /** The thresholds and answer rule, as a cascade stores and runs them. */
        public ExitThresholds exitThresholds() {
            return ExitThresholds.of(thresholds).withAnswer(answer);
        }

        /** How the policy scores on another table (e.g. the test table). */
        public Outcome scoreOn(ExitTable table, StageCosts costs) {
            return DynamicInference.evaluate(table.answeredBy(answer), thresholds, costs);
        }
    }

    /** The p grid: finer than GFNet's 0.05…1.95 and reaching further on both sides. */
    private static final double[] P_GRID = IntStream.rangeClosed(0, 240)
            .mapToDouble(i -> Math.exp(Math.log(0.02) + i * (Math.log(50) - Math.log(0.02)) / 240)).toArray();
    private static final int MAX_ROUNDS = 50;

    private final ExitTable table;
    private final StageCosts costs;
    private final int stages;
    private final int[][] order;
    private List<Policy> geometricCurve;

    public ThresholdSearch(ExitTable validation, StageCosts costs) {
        if (costs.stages() != validation.stages()) {
            throw new IllegalArgumentException(costs.stages() + " stage costs for a table of " + validation.stages()
                    + " stages");
        }
        if (validation.images() == 0) {
            throw new IllegalArgumentException("the validation table is empty");
        }
        this.table = validation;
        this.costs = costs;
        this.stages = validation.stages();
        this.order = new int[stages][];
        for (int j = 0; j < stages; j++) {
            float[] conf = validation.confidenceColumn(j);
            order[j] = IntStream.range(0, validation.images()).boxed()
                    .sorted(Comparator.comparingDouble((Integer i) -> -conf[i]))
                    .mapToInt(Integer::intValue).toArray();
        }
    }

    /** The cheapest mean cost any policy can have: everyone leaves at stage 1. */
    public double minimumBudget() {
        return costs.stage(0);
    }

    /** Policies of the p^j method for every p of the grid. */
    public synchronized List<Policy> geometricCurve() {
        if (geometricCurve == null) {
            List<Policy> curve = new ArrayList<>();
            for (double p : P_GRID) {
                double[] t = geometricThresholds(p);
                curve.add(new Policy("p^j (p=" + String.format("%.3g", p) + ")", t,
                        DynamicInference.evaluate(table, t, costs)));
            }
            geometricCurve = List.copyOf(curve);
        }
        return geometricCurve;
    }

    /** The best p^j policy whose validation cost is within the budget, if any. */
    public Optional<Policy> bestGeometric(double budget) {
        checkBudget(budget);
        return geometricCurve().stream()
                .filter(p -> p.validation().meanMultiplyAdds() <= budget)
                .max(Comparator.comparingInt((Policy p) -> p.validation().correct())
                        .thenComparingDouble(p -> -p.validation().meanMultiplyAdds()));
    }

    /**
     * The searched policy: at least as accurate on validation as {@link #bestGeometric}, within the budget. Coordinate
     * search finds local optima, so it starts from several policies (the best p^j one, the most expensive p^j one that
     * fits, and everyone leaving after the glance) and keeps the best result.
     */
    public Policy search(double budget) {
        checkBudget(budget);
        List<double[]> starts = new ArrayList<>();
        bestGeometric(budget).ifPresent(p -> starts.add(p.thresholds()));
        geometricCurve().stream()
                .filter(p -> p.validation().meanMultiplyAdds() <= budget)
                .max(Comparator.comparingDouble(p -> p.validation().meanMultiplyAdds()))
                .ifPresent(p -> starts.add(p.thresholds()));
        starts.add(allLeaveFirst());
        Policy best = null;
        for (double[] start : starts) {
            Policy found = coordinateSearch(start, budget);
            if (best == null || found.validation().correct() > best.validation().correct()
                    || (found.validation().correct() == best.validation().correct()
                            && found.validation().totalMultiplyAdds() < best.validation().totalMultiplyAdds())) {
                best = found;
            }
        }
        return best;
    }

    private Policy coordinateSearch(double[] start, double budget) {
        double[] t = start.clone();
        t[stages - 1] = Double.NEGATIVE_INFINITY;
        Outcome current = DynamicInference.evaluate(table, t, costs);
        double limit = budget * table.images();
        for (int round = 0; round < MAX_ROUNDS; round++) {
            boolean improved = false;
            for (int j = 0; j < stages - 1; j++) {
                Outcome next = improveStage(t, j, limit, current);
                if (next != null) {
                    current = next;
                    improved = true;
                }
            }
            if (!improved) {
                break;
            }
        }
        return new Policy("search", t, current);
    }

    private void checkBudget(double budget) {
        if (!(budget >= minimumBudget())) {
            throw new IllegalArgumentException(String.format("budget %.4f G is below the cheapest stage (%.4f G: every"
                    + " image leaving after the glance)", budget / 1e9, minimumBudget() / 1e9));
        }
    }

    private double[] allLeaveFirst() {
        double[] t = new double[stages];
        Arrays.fill(t, Double.NEGATIVE_INFINITY);
        return t;
    }

    double[] geometricThresholds(double p) {
        double[] share = new double[stages];
        double sum = 0;
        for (int j = 0; j < stages; j++) {
            share[j] = Math.pow(p, j + 1);
            sum += share[j];
        }
        int n = table.images();
        boolean[] out = new boolean[n];
        double[] t = new double[stages];
        for (int j = 0; j < stages - 1; j++) {
            long wanted = (long) Math.floor(n * share[j] / sum);
            t[j] = Double.POSITIVE_INFINITY;
            float[] conf = table.confidenceColumn(j);
            int count = 0;
            boolean filled = false;
            for (int i : order[j]) {
                if (!out[i] && ++count == wanted) {
                    // the wanted-th remaining image and every one at least as confident leave (strict > test)
                    t[j] = Math.nextDown((double) conf[i]);
                    filled = true;
                    break;
                }
            }
            if (!filled && wanted > 0) {
                t[j] = Double.NEGATIVE_INFINITY;
            }
            for (int i = 0; i < n; i++) {
                if (!out[i] && ExitRule.passes(conf[i], t[j])) {
                    out[i] = true;
                }
            }
        }
        t[stages - 1] = Double.NEGATIVE_INFINITY;
        return t;
    }

    /** Exact line search over stage j's threshold; returns the new outcome if it improved, else null. */
    private Outcome improveStage(double[] t, int j, double limit, Outcome current) {
        int n = table.images();
        long baseCost = 0;
        int baseCorrect = 0;
        boolean[] arrives = new boolean[n];
        int[] contCorrect = new int[n];
        long[] contCost = new long[n];
        long contCostTotal = 0;
        int contCorrectTotal = 0;
        for (int i = 0; i < n; i++) {
            int exit = firstExit(t, i, 0, j);
            if (exit >= 0) {
                baseCost += costs.stage(exit);
                baseCorrect += table.correct(exit, i) ? 1 : 0;
                continue;
            }
            arrives[i] = true;
            int later = firstExit(t, i, j + 1, stages);
            if (later >= 0) {
                contCost[i] = costs.stage(later);
                contCorrect[i] = table.correct(later, i) ? 1 : 0;
                contCostTotal += contCost[i];
                contCorrectTotal += contCorrect[i];
            }
        }
        float[] conf = table.confidenceColumn(j);
        boolean[] correctHere = table.correctColumn(j);
        long stageCost = costs.stage(j);
        // m = how many of the arriving images (most confident first) leave at stage j
        int bestM = -1;
        int bestCorrect = current.correct();
        long bestCost = current.totalMultiplyAdds();
        int exitCorrect = 0;
        long exitCost = 0;
        int gone = 0;
        int goneContCorrect = 0;
        long goneContCost = 0;
        int previous = -1;
        int[] arrivals = Arrays.stream(order[j]).filter(i -> arrives[i]).toArray();
        for (int m = 0; m <= arrivals.length; m++) {
            if (m > 0) {
                int i = arrivals[m - 1];
                exitCorrect += correctHere[i] ? 1 : 0;
                exitCost += stageCost;
                goneContCorrect += contCorrect[i];
                goneContCost += contCost[i];
                gone = m;
                previous = i;
            }
            boolean boundary = m == 0 || m == arrivals.length || conf[previous] > conf[arrivals[m]];
            if (!boundary) {
                continue;
            }
            int correct = baseCorrect + exitCorrect + contCorrectTotal - goneContCorrect;
            long cost = baseCost + exitCost + contCostTotal - goneContCost;
            if (cost <= limit && (correct > bestCorrect || (correct == bestCorrect && cost < bestCost))) {
                bestM = gone;
                bestCorrect = correct;
                bestCost = cost;
            }
        }
        if (bestM < 0) {
            return null;
        }
        t[j] = bestM == 0 ? Double.POSITIVE_INFINITY
                : bestM == arrivals.length ? Double.NEGATIVE_INFINITY : (double) conf[arrivals[bestM]];
        return DynamicInference.evaluate(table, t, costs);
    }

    private int firstExit(double[] t, int image, int from, int to) {
        return ExitRule.firstExit(s -> table.confidence(s, image), t, from, to);
    }
}
