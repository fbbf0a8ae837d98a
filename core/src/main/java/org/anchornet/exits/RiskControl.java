package org.anchornet.exits;

import java.util.Arrays;
import java.util.Locale;
import org.apache.commons.math3.distribution.BinomialDistribution;

/**
 * Exit thresholds with a guarantee instead of a budget: Learn-then-Test (Angelopoulos, Bates, Candès, Jordan and Lei,
 * 2021), as CALM (NeurIPS 2022) and "Fast yet Safe" (NeurIPS 2024) use it for early exit. Every early stage gets one
 * shared threshold λ; the calibration images choose the lowest λ (the cheapest cascade) such that, with probability at
 * least 1 − δ over the draw of those images, the cascade's risk on new images from the same distribution is at most
 * ε. The risk compares each image's early answer with the table's last stage, the answer of the whole cascade:
 *
 * <ul>
 *   <li>{@link Risk#DISAGREEMENT}: the early answer is a different class. It needs no labels, so a served cascade can
 *       be refit on unlabeled images; the table must hold predicted classes.
 *   <li>{@link Risk#ACCURACY_LOSS}: the early answer is wrong where the last stage is right, so the cascade's top-1
 *       is at most ε below the last stage's. It needs only correctness (the authors' tables have no classes).
 * </ul>
 *
 * <p>The λ grid is tested in fixed sequence from the most cautious value down, each with the Hoeffding–Bentkus
 * p-value of "the risk exceeds ε", and the search stops at the first λ it cannot certify; the family-wise error of
 * the sequence is δ without a multiplicity correction. The last stage takes every image still in.
 */
public final class RiskControl {
    /** What counts as a loss for one image. */
    public enum Risk {
        DISAGREEMENT("disagreement"), ACCURACY_LOSS("accuracy-loss");

        private final String key;

        Risk(String key) {
            this.key = key;
        }

        /** The name on the command line and in {@code cascade.json}. */
        public String key() {
            return key;
        }

        public static Risk parse(String key) {
            for (Risk r : values()) {
                if (r.key.equals(key)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("no risk '" + key + "'; one of "
                    + Arrays.stream(values()).map(Risk::key).toList());
        }
    }

    /**
     * What to guarantee: risk at most {@code maxRisk} with probability at least 1 − {@code delta}.
     */
    public record Target(Risk risk, double maxRisk, double delta) {
        public Target {
            if (!(maxRisk > 0 && maxRisk < 1)) {
                throw new IllegalArgumentException("the risk level must lie strictly between 0 and 1, got " + maxRisk);
            }
            if (!(delta > 0 && delta < 1)) {
                throw new IllegalArgumentException("delta must lie strictly between 0 and 1, got " + delta);
            }
        }
    }

    /**
     * A certified threshold.
     *
     * @param lambda the shared threshold of the early stages (+∞: no λ could be certified, every image runs to the
     *     last stage)
     * @param thresholds per stage, the last −∞
     * @param empiricalRisk the risk on the calibration images at λ
     * @param pValue the p-value that certified λ (0 for +∞, which has no risk)
     * @param calibration the cascade's figures on the calibration images
     */
    public record Result(Target target, double lambda, double[] thresholds, double empiricalRisk, double pValue,
            Outcome calibration) {
        public Result {
            thresholds = thresholds.clone();
        }

        /** Whether any early exit was certified. */
        public boolean exitsEarly() {
            return lambda != Double.POSITIVE_INFINITY;
        }

        @Override
        public double[] thresholds() {
            return thresholds.clone();
        }
    }

    /** At most this many λ values are tested: quantiles of the early stages' confidences. */
    static final int MAX_GRID = 2000;

    private RiskControl() {}

    /** The certified λ on a calibration table (see the class comment). */
    public static Result fit(ExitTable calibration, StageCosts costs, Target target) {
        int stages = calibration.stages();
        if (stages < 2) {
            throw new IllegalArgumentException("a cascade of one stage has no early exit to control");
        }
        if (costs.stages() != stages) {
            throw new IllegalArgumentException(costs.stages() + " stage costs for a table of " + stages + " stages");
        }
        int n = calibration.images();
        boolean[][] loss = losses(calibration, target.risk());
        double[] chosen = thresholds(stages, Double.POSITIVE_INFINITY);
        double chosenRisk = 0;
        double chosenP = 0;
        double chosenLambda = Double.POSITIVE_INFINITY;
        for (double lambda : grid(calibration)) {
            double[] candidate = thresholds(stages, lambda);
            double risk = empiricalRisk(calibration, candidate, loss);
            double p = hoeffdingBentkusPValue(risk, n, target.maxRisk());
            if (p > target.delta()) {
                break; // fixed-sequence testing: the first λ not certified ends the search
            }
            chosen = candidate;
            chosenRisk = risk;
            chosenP = p;
            chosenLambda = lambda;
        }
        return new Result(target, chosenLambda, chosen, chosenRisk, chosenP,
                DynamicInference.evaluate(calibration, chosen, costs));
    }

    /** The risk of a threshold vector on a table: the share of images whose early answer is a loss. */
    public static double empiricalRisk(ExitTable table, double[] thresholds, Risk risk) {
        return empiricalRisk(table, thresholds, losses(table, risk));
    }

    private static double empiricalRisk(ExitTable table, double[] thresholds, boolean[][] loss) {
        int lost = 0;
        for (int i = 0; i < table.images(); i++) {
            final int image = i;
            int stage = ExitRule.exitStage(j -> table.confidence(j, image), thresholds);
            if (loss[stage][i]) {
                lost++;
            }
        }
        return (double) lost / table.images();
    }

    /** [stage][image]: whether leaving at that stage is a loss against the last stage's answer. */
    private static boolean[][] losses(ExitTable table, Risk risk) {
        if (risk == Risk.DISAGREEMENT && table.images() > 0 && table.predicted(0, 0).isEmpty()) {
            throw new IllegalArgumentException("the table holds no predicted classes (the authors' tables do not), so"
                    + " disagreement cannot be measured; use the accuracy-loss risk");
        }
        int last = table.stages() - 1;
        boolean[][] loss = new boolean[table.stages()][table.images()];
        for (int j = 0; j < last; j++) {
            for (int i = 0; i < table.images(); i++) {
                loss[j][i] = switch (risk) {
                    case DISAGREEMENT -> !table.predicted(j, i).equals(table.predicted(last, i));
                    case ACCURACY_LOSS -> !table.correct(j, i) && table.correct(last, i);
                };
            }
        }
        return loss;
    }

    /** λ from the most cautious down: distinct early confidences, thinned to quantiles when there are many. */
    static double[] grid(ExitTable table) {
        int early = table.stages() - 1;
        double[] all = new double[early * table.images()];
        for (int j = 0; j < early; j++) {
            for (int i = 0; i < table.images(); i++) {
                all[j * table.images() + i] = table.confidence(j, i);
            }
        }
        double[] distinct = Arrays.stream(all).distinct().sorted().toArray();
        double[] grid = distinct;
        if (distinct.length > MAX_GRID) {
            grid = new double[MAX_GRID];
            for (int g = 0; g < MAX_GRID; g++) {
                grid[g] = distinct[(int) ((long) g * (distinct.length - 1) / (MAX_GRID - 1))];
            }
        }
        // descending; at the largest confidence no image leaves early (the rule is strictly greater)
        double[] descending = new double[grid.length];
        for (int g = 0; g < grid.length; g++) {
            descending[g] = grid[grid.length - 1 - g];
        }
        return descending;
    }

    private static double[] thresholds(int stages, double lambda) {
        double[] t = new double[stages];
        Arrays.fill(t, lambda);
        t[stages - 1] = Double.NEGATIVE_INFINITY;
        return t;
    }

    /**
     * The Hoeffding–Bentkus p-value of H0: risk &gt; ε after seeing an empirical risk over n images (Bates et al.,
     * "Distribution-free, risk-controlling prediction sets", 2021): the smaller of Hoeffding's exp(−n·h(min(R̂, ε), ε))
     * and Bentkus's e·P(Binomial(n, ε) ≤ ⌈n·R̂⌉).
     */
    static double hoeffdingBentkusPValue(double empiricalRisk, int n, double maxRisk) {
        double hoeffding = Math.exp(-n * klBernoulli(Math.min(empiricalRisk, maxRisk), maxRisk));
        int losses = (int) Math.ceil(n * empiricalRisk - 1e-9);
        double bentkus = Math.E * new BinomialDistribution(null, n, maxRisk).cumulativeProbability(losses);
        return Math.min(1, Math.min(hoeffding, bentkus));
    }

    /** KL divergence between Bernoulli(a) and Bernoulli(b), with 0·log 0 = 0. */
    static double klBernoulli(double a, double b) {
        double first = a == 0 ? 0 : a * Math.log(a / b);
        double second = a == 1 ? 0 : (1 - a) * Math.log((1 - a) / (1 - b));
        return first + second;
    }

    /** One line for logs. */
    public static String describe(Result r) {
        return r.exitsEarly()
                ? String.format(Locale.ROOT, "λ = %.4f certified: %s %.4f on calibration (p = %.3g), at most %.4f with"
                        + " probability %.2f", r.lambda(), r.target().risk().key(), r.empiricalRisk(), r.pValue(),
                        r.target().maxRisk(), 1 - r.target().delta())
                : String.format(Locale.ROOT, "no λ certified at %s %.4f with probability %.2f: every image runs to the"
                        + " last stage", r.target().risk().key(), r.target().maxRisk(), 1 - r.target().delta());
    }
}
