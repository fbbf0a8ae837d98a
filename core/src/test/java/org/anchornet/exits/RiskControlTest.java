package org.anchornet.exits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RiskControlTest {
    private static final StageCosts THREE = new StageCosts(new long[] {10, 20, 30});

    /**
     * A synthetic table with classes: the last stage is right with probability 0.8, earlier stages less often; a
     * wrong answer is a random other class; a right answer is confident (0.5–1), a wrong one less so (0.3–0.8).
     */
    static ExitTable withClasses(long seed, int images, double[] accuracy) {
        Random r = new Random(seed);
        int classes = 10;
        int stages = accuracy.length;
        float[][] conf = new float[stages][images];
        boolean[][] correct = new boolean[stages][images];
        int[][] predicted = new int[stages][images];
        long[] labels = new long[images];
        for (int i = 0; i < images; i++) {
            labels[i] = r.nextInt(classes);
            for (int j = 0; j < stages; j++) {
                correct[j][i] = r.nextDouble() < accuracy[j];
                predicted[j][i] = correct[j][i] ? (int) labels[i]
                        : (int) ((labels[i] + 1 + r.nextInt(classes - 1)) % classes);
                conf[j][i] = (float) (correct[j][i] ? 0.5 + 0.5 * r.nextDouble() : 0.3 + 0.5 * r.nextDouble());
            }
        }
        return new ExitTable(conf, correct, predicted, labels, ExitTable.Metadata.of("synthetic"));
    }

    private static final double[] ACCURACY = {0.6, 0.7, 0.8};

    @Test
    void theHoeffdingBentkusPValueIsTheSmallerOfItsTwoBounds() {
        // Bentkus's term by an independent binomial sum: e · Σ_{k ≤ 3} C(200, k) 0.05^k 0.95^(200−k)
        double tail = 0;
        for (int k = 0; k <= 3; k++) {
            tail += Math.exp(logChoose(200, k) + k * Math.log(0.05) + (200 - k) * Math.log(0.95));
        }
        double hoeffding = Math.exp(-200 * (0.015 * Math.log(0.015 / 0.05) + 0.985 * Math.log(0.985 / 0.95)));
        assertEquals(Math.min(hoeffding, Math.E * tail), RiskControl.hoeffdingBentkusPValue(0.015, 200, 0.05), 1e-9);
        assertEquals(1.0, RiskControl.hoeffdingBentkusPValue(0.06, 200, 0.05), 1e-12, "above ε: no evidence");
        assertTrue(RiskControl.hoeffdingBentkusPValue(0.01, 20_000, 0.05) < 1e-100, "far below ε on many images");
        assertEquals(0, RiskControl.klBernoulli(0.3, 0.3), 1e-15);
        assertEquals(-Math.log(0.95), RiskControl.klBernoulli(0, 0.05), 1e-15);
    }

    private static double logChoose(int n, int k) {
        double s = 0;
        for (int i = 0; i < k; i++) {
            s += Math.log(n - i) - Math.log(i + 1);
        }
        return s;
    }

    /**
     * The guarantee, checked where it is defined: over many calibration draws, the risk on fresh images exceeds ε in
     * at most about δ of them. The naive rule (the lowest λ whose calibration risk is at most ε) breaks it, so the
     * check has teeth.
     */
    @Test
    void theRiskOnFreshImagesExceedsTheLevelInAtMostAboutDeltaOfTheDraws() {
        ExitTable population = withClasses(1_000, 40_000, ACCURACY);
        RiskControl.Target target = new RiskControl.Target(RiskControl.Risk.DISAGREEMENT, 0.05, 0.1);
        int draws = 60;
        int violations = 0;
        int naiveViolations = 0;
        for (int d = 0; d < draws; d++) {
            ExitTable calibration = withClasses(d, 1000, ACCURACY);
            RiskControl.Result r = RiskControl.fit(calibration, THREE, target);
            assertTrue(r.empiricalRisk() <= 0.05, "certified λ keep the calibration risk below ε");
            if (RiskControl.empiricalRisk(population, r.thresholds(), target.risk()) > target.maxRisk()) {
                violations++;
            }
            double[] naive = naive(calibration, target);
            if (RiskControl.empiricalRisk(population, naive, target.risk()) > target.maxRisk()) {
                naiveViolations++;
            }
        }
        // expected at most 6 of 60; 15 or more has probability below 0.1% if the guarantee holds
        assertTrue(violations < 15, violations + " of " + draws + " draws broke the level");
        assertTrue(naiveViolations > draws / 4, "the naive rule broke it in only " + naiveViolations);
    }

    /** The lowest shared λ whose calibration risk is at most ε, with no allowance for chance. */
    private static double[] naive(ExitTable calibration, RiskControl.Target target) {
        double[] best = null;
        for (double lambda : RiskControl.grid(calibration)) {
            double[] t = {lambda, lambda, Double.NEGATIVE_INFINITY};
            if (RiskControl.empiricalRisk(calibration, t, target.risk()) <= target.maxRisk()) {
                best = t;
            }
        }
        return best;
    }

    @Test
    void aLooserLevelNeverCostsMoreAndTheLastStageTakesEveryImageLeft() {
        ExitTable calibration = withClasses(7, 3000, ACCURACY);
        double previousCost = Double.MAX_VALUE;
        for (double level : new double[] {0.01, 0.03, 0.1, 0.2}) {
            RiskControl.Result r = RiskControl.fit(calibration, THREE,
                    new RiskControl.Target(RiskControl.Risk.DISAGREEMENT, level, 0.1));
            assertEquals(calibration.images(), r.calibration().exited(), "every image leaves somewhere");
            assertEquals(Double.NEGATIVE_INFINITY, r.thresholds()[2]);
            assertEquals(r.thresholds()[0], r.thresholds()[1], "one shared λ");
            assertTrue(r.calibration().meanMultiplyAdds() <= previousCost, "level " + level + " costs more");
            previousCost = r.calibration().meanMultiplyAdds();
        }
        assertTrue(previousCost < 30, "at 20% some images leave early");
    }

    @Test
    void disagreementNeedsNoLabelsAndAccuracyLossBoundsTheDrop() {
        ExitTable table = withClasses(3, 4000, ACCURACY);
        RiskControl.Target disagreement = new RiskControl.Target(RiskControl.Risk.DISAGREEMENT, 0.05, 0.1);
        // the same answers, every correctness flag and label flipped: disagreement does not read them
        boolean[][] flipped = new boolean[3][table.images()];
        float[][] conf = new float[3][table.images()];
        int[][] predicted = new int[3][table.images()];
        for (int j = 0; j < 3; j++) {
            for (int i = 0; i < table.images(); i++) {
                flipped[j][i] = !table.correct(j, i);
                conf[j][i] = table.confidence(j, i);
                predicted[j][i] = table.predicted(j, i).orElseThrow();
            }
        }
        ExitTable relabeled = new ExitTable(conf, flipped, predicted, null, ExitTable.Metadata.of("relabeled"));
        assertArrayEquals(RiskControl.fit(table, THREE, disagreement).thresholds(),
                RiskControl.fit(relabeled, THREE, disagreement).thresholds());

        RiskControl.Result loss = RiskControl.fit(table, THREE,
                new RiskControl.Target(RiskControl.Risk.ACCURACY_LOSS, 0.02, 0.1));
        assertTrue(loss.exitsEarly());
        ExitTable fresh = withClasses(4, 40_000, ACCURACY);
        double drop = fresh.stageAccuracy(2) - DynamicInference.evaluate(fresh, loss.thresholds(), THREE).accuracy();
        assertTrue(drop <= 0.02, "top-1 fell " + drop + " below the last stage's");
    }

    @Test
    void unclearRequestsAreRefusedClearly() {
        ExitTable noClasses = ThresholdFitterTest.synthetic(1, 100, ACCURACY, -1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RiskControl.fit(noClasses,
                THREE, new RiskControl.Target(RiskControl.Risk.DISAGREEMENT, 0.05, 0.1)));
        assertTrue(e.getMessage().contains("accuracy-loss"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RiskControl.empiricalRisk(noClasses, new double[] {0.5,
                0.5, Double.NEGATIVE_INFINITY}, RiskControl.Risk.DISAGREEMENT), "not a silent zero");
        assertThrows(IllegalArgumentException.class, () -> new RiskControl.Target(RiskControl.Risk.DISAGREEMENT, 0,
                0.1));
        assertThrows(IllegalArgumentException.class, () -> new RiskControl.Target(RiskControl.Risk.DISAGREEMENT, 0.1,
                1));
        assertEquals(RiskControl.Risk.ACCURACY_LOSS, RiskControl.Risk.parse("accuracy-loss"));
        assertThrows(IllegalArgumentException.class, () -> RiskControl.Risk.parse("loss"));
        // too few images to certify anything: every image runs to the last stage
        RiskControl.Result none = RiskControl.fit(withClasses(5, 20, ACCURACY), THREE,
                new RiskControl.Target(RiskControl.Risk.DISAGREEMENT, 0.01, 0.1));
        assertFalse(none.exitsEarly());
        assertEquals(20, none.calibration().exits()[2]);
    }
}
