package org.anchornet.exits;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Exit thresholds under a budget, fit on a validation table, by one of four candidate methods or by a
 * cross-validated choice between them (the default).
 *
 * <ul>
 *   <li>{@code pj}: MSDNet/GFNet's rule (exit shares ∝ p^j, the best p under the budget): one free parameter.
 *   <li>{@code pj-shortened}: the same rule on the first L stages only, the best (p, L): the cascade may end early,
 *       its last stage taking every image left, when later windows stop helping.
 *   <li>{@code search}: {@link ThresholdSearch#search}, one free threshold per stage: the best on the table it was fit
 *       on, and the one that overfits it most.
 *   <li>{@code bagged-search}: the search run on {@value #RESAMPLES} bootstrap resamples of the table, each stage's
 *       thresholds averaged (bootstrap aggregation: the average varies less from table to table than one search),
 *       then all lowered by one shared amount if needed to keep the whole table's cost within the budget.
 *   <li>{@code pj-most-confident}: p^j under the {@link Answer#MOST_CONFIDENT} answer rule (the most confident stage
 *       so far answers, and its confidence is what the thresholds test); the fit carries the rule to the cascade.
 *   <li>{@code cv}: each candidate is fit on four fifths of the validation table and scored on the fifth left out,
 *       five times; the choice leaves p^j only for a candidate whose paired held-out gain over p^j exceeds
 *       {@value #STANDARD_ERRORS} standard errors (a one-sided test at about 2.5%) and whose held-out cost stays
 *       within the budget (or p^j's). With one standard error, the authors' table at 1.5 G chose a candidate that
 *       lost to p^j on the held-out half (docs/benchmarks.md).
 *       The chosen candidate is then refit on the whole table.
 * </ul>
 * On the authors' ImageNet table the candidates' held-out accuracies differ by less than their standard error
 * (docs/benchmarks.md), so the rule keeps p^j there unless a gain is clear. The folds' tables and searches are built
 * once, so a sweep over many budgets pays for them once.
 */
public final class ThresholdFitter {
    /** How thresholds are fit. */
    public enum Method {
        PJ("pj"), PJ_SHORTENED("pj-shortened"), SEARCH("search"), BAGGED_SEARCH("bagged-search"),
        PJ_MOST_CONFIDENT("pj-most-confident"), CROSS_VALIDATED("cv");

        /** The methods a cross-validated fit chooses between, p^j first (it wins ties). */
        public static final List<Method> CANDIDATES = List.of(PJ, PJ_SHORTENED, SEARCH, BAGGED_SEARCH,
                PJ_MOST_CONFIDENT);

        private final String key;

        Method(String key) {
            this.key = key;
        }

        /** The name on the command line, in JSON and in {@code cascade.json}. */
        public String key() {
            return key;
        }

        public static Method parse(String key) {
            for (Method m : values()) {
                if (m.key.equals(key)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("no threshold fit '" + key + "'; one of "
                    + Arrays.stream(values()).map(Method::key).toList());
        }
    }

    /**
     * A candidate's held-out figures in cross-validation.
     *
     * @param gainOverPj mean paired difference in correctness against p^j over the held-out images (a fraction)
     * @param standardError the standard error of that mean
     */
    public record CrossValidation(double accuracy, double meanMultiplyAdds, double gainOverPj, double standardError) {}

    /**
     * What a fit found: the chosen method and its policy (named {@code cv:<candidate>} when cross-validated), each
     * candidate's policy on the whole table, and (for {@code cv}) the held-out figures the choice rests on.
     */
    public record Result(Method chosen, ThresholdSearch.Policy policy, Map<Method, ThresholdSearch.Policy> candidates,
            Map<Method, CrossValidation> crossValidation) {
        public Result {
            candidates = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(candidates));
            crossValidation = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(crossValidation));
        }
    }

    /** How many standard errors a held-out gain over p^j must exceed for the choice to leave p^j. */
    public static final double STANDARD_ERRORS = 2;
    /** Folds of the cross-validated choice. */
    public static final int FOLDS = 5;
    /** Bootstrap resamples of {@code bagged-search}. */
    public static final int RESAMPLES = 10;
    private static final long FOLD_SEED = 20_221_118L;
    private static final long RESAMPLE_SEED = 20_261_204L;

    private final StageCosts costs;
    private final Candidates whole;
    private final Fold[] folds;

    /** A fitter on a validation table; cross-validation folds are made only when a table has enough rows. */
    public ThresholdFitter(ExitTable validation, StageCosts costs) {
        this.costs = costs;
        this.whole = new Candidates(validation, costs);
        this.folds = validation.images() >= 2 * FOLDS ? makeFolds(validation, costs) : new Fold[0];
    }

    public Result fit(double budget, Method method) {
        Map<Method, ThresholdSearch.Policy> candidates = new EnumMap<>(Method.class);
        for (Method m : Method.CANDIDATES) {
            candidates.put(m, whole.fit(m, budget));
        }
        if (method != Method.CROSS_VALIDATED) {
            return new Result(method, candidates.get(method), candidates, Map.of());
        }
        Map<Method, CrossValidation> scores = crossValidate(budget);
        Method chosen = choose(scores, budget);
        ThresholdSearch.Policy p = candidates.get(chosen);
        return new Result(chosen, new ThresholdSearch.Policy(method.key() + ":" + chosen.key(), p.thresholds(),
                p.validation(), p.answer()), candidates, scores);
    }

    /** The cross-validated fit: the default everywhere thresholds are fit under a budget. */
    public Result fit(double budget) {
        return fit(budget, Method.CROSS_VALIDATED);
    }

    private static Method choose(Map<Method, CrossValidation> scores, double budget) {
        if (scores.isEmpty()) {
            return Method.PJ; // too few rows to hold any out: the one-parameter rule overfits least
        }
        double costLimit = Math.max(budget, scores.get(Method.PJ).meanMultiplyAdds());
        Method chosen = Method.PJ;
        double bestGain = 0;
        for (Map.Entry<Method, CrossValidation> e : scores.entrySet()) {
            CrossValidation cv = e.getValue();
            if (cv.gainOverPj() > STANDARD_ERRORS * cv.standardError() && cv.gainOverPj() > bestGain
                    && cv.meanMultiplyAdds() <= costLimit) {
                chosen = e.getKey();
                bestGain = cv.gainOverPj();
            }
        }
        return chosen;
    }

    private Map<Method, CrossValidation> crossValidate(double budget) {
        if (folds.length == 0) {
            return Map.of();
        }
        int n = Arrays.stream(folds).mapToInt(f -> f.heldOut().images()).sum();
        Map<Method, int[]> correct = new EnumMap<>(Method.class);
        Map<Method, Long> cost = new EnumMap<>(Method.class);
        for (Method m : Method.CANDIDATES) {
            int[] perImage = new int[n];
            long total = 0;
            int offset = 0;
            for (Fold fold : folds) {
                ThresholdSearch.Policy p = fold.fitPart.fit(m, budget);
                double[] t = p.thresholds();
                ExitTable held = fold.heldOut(p.answer());
                for (int i = 0; i < held.images(); i++) {
                    final int image = i;
                    int stage = ExitRule.exitStage(s -> held.confidence(s, image), t);
                    perImage[offset + i] = held.correct(stage, i) ? 1 : 0;
                    total += costs.stage(stage);
                }
                offset += held.images();
            }
            correct.put(m, perImage);
            cost.put(m, total);
        }
        Map<Method, CrossValidation> scores = new EnumMap<>(Method.class);
        int[] pj = correct.get(Method.PJ);
        for (Method m : Method.CANDIDATES) {
            int[] mine = correct.get(m);
            double sum = 0;
            double sumSquares = 0;
            int right = 0;
            for (int i = 0; i < n; i++) {
                int d = mine[i] - pj[i];
                sum += d;
                sumSquares += d * d;
                right += mine[i];
            }
            double mean = sum / n;
            double variance = n > 1 ? Math.max(0, (sumSquares - n * mean * mean) / (n - 1)) : 0;
            scores.put(m, new CrossValidation((double) right / n, (double) cost.get(m) / n, mean,
                    Math.sqrt(variance / n)));
        }
        return scores;
    }

    /**
     * One stage's thresholds averaged over the resamples. ±∞ stand for "nobody leaves here" and "everyone still in
     * leaves here"; a confidence lies in (0, 1], so under the strict exit rule 1 and 0 act the same and enter the
     * mean as such. A stage every resample agrees on keeps its infinity (−∞ also marks where a cascade ends).
     */
    static double averagedThreshold(double[][] fits, int stage) {
        double sum = 0;
        boolean allPositive = true;
        boolean allNegative = true;
        for (double[] fit : fits) {
            double v = fit[stage];
            allPositive &= v == Double.POSITIVE_INFINITY;
            allNegative &= v == Double.NEGATIVE_INFINITY;
            sum += Math.max(0, Math.min(1, v));
        }
        if (allPositive || allNegative) {
            return allPositive ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        }
        return sum / fits.length;
    }

    private static Fold[] makeFolds(ExitTable table, StageCosts costs) {
        int n = table.images();
        int[] rows = Splits.shuffled(n, FOLD_SEED);
        Fold[] folds = new Fold[FOLDS];
        for (int f = 0; f < FOLDS; f++) {
            int lo = (int) ((long) f * n / FOLDS);
            int hi = (int) ((long) (f + 1) * n / FOLDS);
            int[] fitRows = new int[n - (hi - lo)];
            System.arraycopy(rows, 0, fitRows, 0, lo);
            System.arraycopy(rows, hi, fitRows, lo, n - hi);
            ExitTable heldOut = table.subset(Arrays.copyOfRange(rows, lo, hi));
            folds[f] = new Fold(new Candidates(table.subset(fitRows), costs), heldOut,
                    heldOut.answeredBy(Answer.MOST_CONFIDENT));
        }
        return folds;
    }

    private record Fold(Candidates fitPart, ExitTable heldOut, ExitTable heldOutMostConfident) {
        ExitTable heldOut(Answer answer) {
            return answer == Answer.MOST_CONFIDENT ? heldOutMostConfident : heldOut;
        }
    }

    /** The candidate fits on one table, with a search per prefix of stages built once. */
    private static final class Candidates {
        private final ExitTable table;
        private final StageCosts costs;
        private final int stages;
        // prefixes[L - 1]: the cascade ending after stage L (L ≥ 2); the last is the whole cascade
        private final ThresholdSearch[] prefixes;
        private final ThresholdSearch full;
        private final ThresholdSearch mostConfident;
        private ThresholdSearch[] resamples;

        Candidates(ExitTable table, StageCosts costs) {
            this.table = table;
            this.costs = costs;
            this.stages = table.stages();
            this.prefixes = new ThresholdSearch[stages];
            for (int l = 2; l <= stages; l++) {
                prefixes[l - 1] = new ThresholdSearch(l < stages ? table.firstStages(l) : table,
                        l < stages ? costs.firstStages(l) : costs);
            }
            this.full = stages > 1 ? prefixes[stages - 1] : new ThresholdSearch(table, costs);
            this.mostConfident = new ThresholdSearch(table.answeredBy(Answer.MOST_CONFIDENT), costs);
        }

        ThresholdSearch.Policy fit(Method method, double budget) {
            return switch (method) {
                case PJ -> full.bestGeometric(budget).map(p -> renamed(p, Method.PJ)).orElseGet(this::glanceOnly);
                case PJ_SHORTENED -> shortened(budget);
                case SEARCH -> full.search(budget);
                case BAGGED_SEARCH -> bagged(budget);
                case PJ_MOST_CONFIDENT -> mostConfident.bestGeometric(budget)
                        .map(p -> new ThresholdSearch.Policy(method.key(), p.thresholds(), p.validation(),
                                Answer.MOST_CONFIDENT))
                        .orElseGet(() -> renamed(glanceOnly(), method));
                case CROSS_VALIDATED -> throw new IllegalArgumentException("cv is a choice between candidates");
            };
        }

        /**
         * Searches on bootstrap resamples, built on first use (a sweep pays for them once). The rows are drawn in
         * order from one seed, so the fit is the same however the searches are spread over cores.
         */
        private ThresholdSearch[] resamples() {
            if (resamples == null) {
                Random random = new Random(RESAMPLE_SEED);
                int n = table.images();
                int[][] rows = new int[RESAMPLES][n];
                for (int[] draw : rows) {
                    for (int i = 0; i < n; i++) {
                        draw[i] = random.nextInt(n);
                    }
                }
                resamples = Arrays.stream(rows).parallel().map(r -> new ThresholdSearch(table.subset(r), costs))
                        .toArray(ThresholdSearch[]::new);
            }
            return resamples;
        }

        private ThresholdSearch.Policy bagged(double budget) {
            ThresholdSearch[] searches = resamples();
            double[][] fits = Arrays.stream(searches).parallel().map(s -> s.search(budget).thresholds())
                    .toArray(double[][]::new);
            double[] t = new double[stages];
            for (int j = 0; j < stages - 1; j++) {
                t[j] = averagedThreshold(fits, j);
            }
            t[stages - 1] = Double.NEGATIVE_INFINITY;
            Outcome outcome = DynamicInference.evaluate(table, t, costs);
            if (outcome.meanMultiplyAdds() > budget) {
                t = loweredIntoBudget(t, budget);
                if (t == null) {
                    return renamed(fit(Method.PJ, budget), Method.BAGGED_SEARCH);
                }
                outcome = DynamicInference.evaluate(table, t, costs);
            }
            return new ThresholdSearch.Policy(Method.BAGGED_SEARCH.key(), t, outcome);
        }

        /**
         * The thresholds lowered by the smallest shared amount (bisection; lower thresholds let more images leave
         * early, so the cost only falls) that brings the table's cost within the budget, or null when none does.
         */
        private double[] loweredIntoBudget(double[] t, double budget) {
            double lo = 0;
            double hi = 1;
            if (DynamicInference.evaluate(table, lowered(t, hi), costs).meanMultiplyAdds() > budget) {
                return null;
            }
            for (int i = 0; i < 30; i++) {
                double mid = (lo + hi) / 2;
                if (DynamicInference.evaluate(table, lowered(t, mid), costs).meanMultiplyAdds() > budget) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return lowered(t, hi);
        }

        private static double[] lowered(double[] t, double by) {
            double[] out = t.clone();
            for (int j = 0; j < out.length - 1; j++) {
                if (Double.isFinite(out[j])) {
                    out[j] -= by;
                }
            }
            return out;
        }

        private ThresholdSearch.Policy shortened(double budget) {
            ThresholdSearch.Policy best = renamed(glanceOnly(), Method.PJ_SHORTENED);
            for (int l = 2; l <= stages; l++) {
                Optional<ThresholdSearch.Policy> p = prefixes[l - 1].bestGeometric(budget);
                if (p.isPresent() && p.get().validation().correct() > best.validation().correct()) {
                    double[] t = padded(p.get().thresholds());
                    best = new ThresholdSearch.Policy(Method.PJ_SHORTENED.key(), t,
                            DynamicInference.evaluate(table, t, costs));
                }
            }
            return best;
        }

        /** Every image leaves after the glance: the one policy at the cheapest budget. */
        private ThresholdSearch.Policy glanceOnly() {
            double[] t = padded(new double[0]);
            return new ThresholdSearch.Policy(Method.PJ.key(), t, DynamicInference.evaluate(table, t, costs));
        }

        /** Thresholds of a shorter cascade on this one: −∞ from its last stage on (that stage takes everyone). */
        private double[] padded(double[] t) {
            double[] out = new double[stages];
            Arrays.fill(out, Double.NEGATIVE_INFINITY);
            System.arraycopy(t, 0, out, 0, t.length);
            return out;
        }

        private static ThresholdSearch.Policy renamed(ThresholdSearch.Policy p, Method m) {
            return new ThresholdSearch.Policy(m.key(), p.thresholds(), p.validation(), p.answer());
        }
    }

    /** A one-line account of a cross-validated choice, for logs and tables. */
    public static String describe(Result r) {
        if (r.crossValidation().isEmpty()) {
            return r.chosen().key();
        }
        StringBuilder b = new StringBuilder(r.chosen().key()).append(" (held-out gain over pj:");
        r.crossValidation().forEach((m, cv) -> {
            if (m != Method.PJ) {
                b.append(String.format(Locale.ROOT, " %s %+.4f ± %.4f", m.key(), cv.gainOverPj(),
                        cv.standardError()));
            }
        });
        return b.append(')').toString();
    }
}
