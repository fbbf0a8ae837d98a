package org.anchornet.exits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.anchornet.testing.Fixtures;
import org.junit.jupiter.api.Test;

class ThresholdFitterTest {
    private static final StageCosts THREE = new StageCosts(new long[] {10, 20, 30});

    /**
     * A synthetic table: at each stage an image is right with that stage's probability; a right answer is confident
     * (0.5–1), a wrong one less so (0.3–0.8), except at a misleading stage where confidence says nothing.
     */
    static ExitTable synthetic(long seed, int images, double[] accuracy, int misleadingStage) {
        Random r = new Random(seed);
        float[][] conf = new float[accuracy.length][images];
        boolean[][] correct = new boolean[accuracy.length][images];
        for (int j = 0; j < accuracy.length; j++) {
            for (int i = 0; i < images; i++) {
                correct[j][i] = r.nextDouble() < accuracy[j];
                conf[j][i] = (float) (j == misleadingStage ? r.nextDouble()
                        : correct[j][i] ? 0.5 + 0.5 * r.nextDouble() : 0.3 + 0.5 * r.nextDouble());
            }
        }
        return new ExitTable(conf, correct, null, null, ExitTable.Metadata.of("synthetic"));
    }

    @Test
    void theChoiceNeverLosesToPjOnTheFoldsItWasMadeOn() {
        for (long seed = 0; seed < 6; seed++) {
            ExitTable val = synthetic(seed, 600, new double[] {0.6, 0.7 + 0.03 * seed, 0.72}, seed % 2 == 0 ? 2 : -1);
            ThresholdFitter fitter = new ThresholdFitter(val, THREE);
            for (double budget : List.of(12.0, 16.0, 20.0, 25.0, 30.0)) {
                ThresholdFitter.Result r = fitter.fit(budget);
                assertEquals(ThresholdFitter.Method.CANDIDATES.size(), r.crossValidation().size());
                ThresholdFitter.CrossValidation pj = r.crossValidation().get(ThresholdFitter.Method.PJ);
                ThresholdFitter.CrossValidation mine = r.crossValidation().get(r.chosen());
                assertTrue(mine.accuracy() >= pj.accuracy(), "seed " + seed + ", budget " + budget + ": chose "
                        + r.chosen() + " at " + mine.accuracy() + " held out against p^j's " + pj.accuracy());
                if (r.chosen() != ThresholdFitter.Method.PJ) {
                    assertTrue(mine.gainOverPj() > ThresholdFitter.STANDARD_ERRORS * mine.standardError(),
                            "left p^j without a clear gain");
                }
                for (ThresholdSearch.Policy p : r.candidates().values()) {
                    assertTrue(p.validation().meanMultiplyAdds() <= budget, p.method() + " over budget " + budget);
                    assertEquals(val.images(), p.validation().exited(), p.method() + ": every image exits");
                }
            }
        }
    }

    @Test
    void aLastStageThatHurtsIsCutOffAndThatHoldsOnFreshData() {
        // The third stage is wrong more often than the second and its confidence is noise: p^j must send a share of
        // images there; the shortened rule and the search need not, and cross-validation sees it.
        double[] accuracy = {0.6, 0.85, 0.5};
        ExitTable val = synthetic(1, 2000, accuracy, 2);
        ExitTable fresh = synthetic(2, 2000, accuracy, 2);
        ThresholdFitter.Result r = new ThresholdFitter(val, THREE).fit(30);
        assertTrue(r.chosen() != ThresholdFitter.Method.PJ, "kept p^j: " + ThresholdFitter.describe(r));
        assertEquals(1, ExitRule.lastStage(r.candidates().get(ThresholdFitter.Method.PJ_SHORTENED).thresholds()),
                "p^j on fewer stages ends the cascade at the second stage");
        Outcome onVal = r.policy().validation();
        assertTrue(onVal.exits()[2] < val.images() / 20, "the chosen fit still sends " + onVal.exits()[2]
                + " images to the stage that hurts: " + ThresholdFitter.describe(r));
        Outcome chosen = r.policy().scoreOn(fresh, THREE);
        Outcome pj = DynamicInference.evaluate(fresh, r.candidates().get(ThresholdFitter.Method.PJ).thresholds(),
                THREE);
        assertTrue(chosen.accuracy() > pj.accuracy() + 0.02, chosen.accuracy() + " vs p^j " + pj.accuracy());
    }

    @Test
    void whereTheMostConfidentStageIsRightMoreOftenTheChoiceAnswersByItAndThatHoldsOnFreshData() {
        // Stages right independently, a right answer more confident than a wrong one: the most confident of three
        // is right more often than any one stage, so at the full budget answering by it beats p^j clearly.
        double[] accuracy = {0.6, 0.7, 0.7};
        ExitTable val = synthetic(5, 2000, accuracy, -1);
        ExitTable fresh = synthetic(6, 2000, accuracy, -1);
        ThresholdFitter.Result r = new ThresholdFitter(val, THREE).fit(30);
        assertEquals(ThresholdFitter.Method.PJ_MOST_CONFIDENT, r.chosen(), ThresholdFitter.describe(r));
        assertEquals(Answer.MOST_CONFIDENT, r.policy().answer());
        assertEquals(Answer.MOST_CONFIDENT, r.policy().exitThresholds().answer(), "the rule travels with the fit");
        Outcome chosen = r.policy().scoreOn(fresh, THREE);
        Outcome pj = r.candidates().get(ThresholdFitter.Method.PJ).scoreOn(fresh, THREE);
        assertTrue(chosen.accuracy() > pj.accuracy() + 0.01, chosen.accuracy() + " vs p^j " + pj.accuracy());
        Outcome byExitStage = DynamicInference.evaluate(fresh, r.policy().thresholds(), THREE);
        assertTrue(chosen.accuracy() > byExitStage.accuracy() + 0.01, "the same thresholds answered by the exit"
                + " stage score " + byExitStage.accuracy() + ": scoring must apply the rule");
    }

    @Test
    void withoutAClearGainTheOneParameterRuleIsKept() {
        // Every stage gives the same answers with the same confidence: nothing can beat p^j held out.
        ExitTable one = synthetic(3, 500, new double[] {0.7}, -1);
        float[][] conf = new float[3][];
        boolean[][] correct = new boolean[3][];
        for (int j = 0; j < 3; j++) {
            conf[j] = one.confidenceColumn(0);
            correct[j] = one.correctColumn(0);
        }
        ExitTable flat = new ExitTable(conf, correct, null, null, ExitTable.Metadata.of("flat"));
        for (double budget : List.of(10.0, 15.0, 22.0, 30.0)) {
            assertEquals(ThresholdFitter.Method.PJ, new ThresholdFitter(flat, THREE).fit(budget).chosen(),
                    "budget " + budget);
        }
    }

    @Test
    void tooFewRowsToHoldOutKeepPjAndANamedMethodIsUsedAsIs() {
        ExitTable tiny = DynamicInferenceTest.small();
        ThresholdFitter fitter = new ThresholdFitter(tiny, THREE);
        ThresholdFitter.Result cv = fitter.fit(25);
        assertEquals(ThresholdFitter.Method.PJ, cv.chosen());
        assertTrue(cv.crossValidation().isEmpty());
        ThresholdFitter.Result search = fitter.fit(25, ThresholdFitter.Method.SEARCH);
        assertEquals(ThresholdFitter.Method.SEARCH, search.chosen());
        assertEquals(new ThresholdSearch(tiny, THREE).search(25).validation().correct(),
                search.policy().validation().correct());
    }

    @Test
    void baggedSearchVariesLessFromTableToTableThanOneSearch() {
        // Tables drawn alike differ only by sampling noise; a fit that follows the noise less moves less between them.
        // Pooled over three budgets the bagged spread is 0.28–0.63 of the search's for six seeds tried; one
        // resample instead of the average, or no averaging, would not stay under 0.75.
        double[] accuracy = {0.6, 0.72, 0.78};
        int draws = 8;
        double searchSpread = 0;
        double baggedSpread = 0;
        for (double budget : List.of(16.0, 22.0, 26.0)) {
            double[][] searched = new double[draws][];
            double[][] bagged = new double[draws][];
            for (int d = 0; d < draws; d++) {
                ThresholdFitter fitter = new ThresholdFitter(synthetic(100 + d, 400, accuracy, -1), THREE);
                searched[d] = fitter.fit(budget, ThresholdFitter.Method.SEARCH).policy().thresholds();
                ThresholdFitter.Result r = fitter.fit(budget, ThresholdFitter.Method.BAGGED_SEARCH);
                assertEquals(ThresholdFitter.Method.BAGGED_SEARCH, r.chosen());
                bagged[d] = r.policy().thresholds();
                assertTrue(r.policy().validation().meanMultiplyAdds() <= budget, "over budget: "
                        + r.policy().validation());
                assertArrayEquals(bagged[d], fitter.fit(budget, ThresholdFitter.Method.BAGGED_SEARCH).policy()
                        .thresholds(), "the resamples are seeded: the same table gives the same fit");
            }
            searchSpread += spreadOfEarlyThresholds(searched);
            baggedSpread += spreadOfEarlyThresholds(bagged);
        }
        assertTrue(baggedSpread < 0.75 * searchSpread, "bagged " + baggedSpread + " against one search "
                + searchSpread);
    }

    /** Summed over the early stages, the variance of each stage's threshold across fits (±∞ read as 1 and 0). */
    private static double spreadOfEarlyThresholds(double[][] fits) {
        double total = 0;
        for (int j = 0; j < fits[0].length - 1; j++) {
            double[] v = new double[fits.length];
            for (int d = 0; d < fits.length; d++) {
                v[d] = Math.max(0, Math.min(1, fits[d][j]));
            }
            double mean = java.util.Arrays.stream(v).average().orElseThrow();
            total += java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum() / (v.length - 1);
        }
        return total;
    }

    @Test
    void averagedThresholdsReadInfinitiesAsTheConfidencesTheyActLike() {
        double inf = Double.POSITIVE_INFINITY;
        double[][] fits = {{inf, 0.5, Double.NEGATIVE_INFINITY, inf}, {inf, 0.7, Double.NEGATIVE_INFINITY, 0.6}};
        assertEquals(inf, ThresholdFitter.averagedThreshold(fits, 0), "nobody leaves in any resample");
        assertEquals(0.6, ThresholdFitter.averagedThreshold(fits, 1), 1e-12);
        assertEquals(Double.NEGATIVE_INFINITY, ThresholdFitter.averagedThreshold(fits, 2),
                "every resample ends the cascade here, and so does the average");
        assertEquals(0.8, ThresholdFitter.averagedThreshold(fits, 3), 1e-12, "+∞ acts as a threshold of 1");
        double[][] mixed = {{Double.NEGATIVE_INFINITY}, {0.4}};
        assertEquals(0.2, ThresholdFitter.averagedThreshold(mixed, 0), 1e-12, "−∞ acts as a threshold of 0");
    }

    @Test
    void methodsAreNamedAsOnTheCommandLine() {
        for (ThresholdFitter.Method m : ThresholdFitter.Method.values()) {
            assertEquals(m, ThresholdFitter.Method.parse(m.key()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ThresholdFitter.Method.parse("magic"));
        assertTrue(e.getMessage().contains("pj-shortened"), e.getMessage());
    }

    @Test
    void onTheAuthorsTableTheChoiceHoldsUpAgainstPjOnTheHeldOutHalf() throws Exception {
        ExitTable table = ExitTable.read(Fixtures.file("reference_table.pth"));
        TablePair halves = TablePair.split(table, 0.5, 0);
        StageCosts costs = DynamicInferenceTest.DENSENET201;
        ThresholdFitter fitter = new ThresholdFitter(halves.validation(), costs);
        for (double budget : List.of(1.0e9, 1.25e9, 1.5e9, 1.78e9)) {
            ThresholdFitter.Result r = fitter.fit(budget);
            Outcome chosen = r.policy().scoreOn(halves.test(), costs);
            Outcome pj = DynamicInference.evaluate(halves.test(),
                    r.candidates().get(ThresholdFitter.Method.PJ).thresholds(), costs);
            assertTrue(chosen.correct() >= pj.correct(), "budget " + budget + ": " + ThresholdFitter.describe(r));
            assertTrue(chosen.meanMultiplyAdds() <= budget * 1.005, "budget " + budget + " held out: "
                    + chosen.meanMultiplyAdds());
            if (budget == 1.78e9) { // the published point (75.13%), reached held out, not only on the fitting images
                assertTrue(chosen.accuracy() >= 0.7513, "held out at 1.78 G: " + chosen.accuracy() + ", "
                        + ThresholdFitter.describe(r));
            }
        }
    }
}
