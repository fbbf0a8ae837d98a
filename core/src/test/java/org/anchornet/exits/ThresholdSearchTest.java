package org.anchornet.exits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.anchornet.testing.Fixtures;
import org.junit.jupiter.api.Test;

class ThresholdSearchTest {
    @Test
    void searchStaysWithinBudgetAndNeverLosesToGeometric() throws Exception {
        ExitTable table = ExitTable.read(Fixtures.file("reference_table.pth"));
        ExitTable val = TablePair.split(table, 0.5, 7).validation();
        StageCosts costs = DynamicInferenceTest.DENSENET201;
        ThresholdSearch search = new ThresholdSearch(val, costs);
        int strictlyBetter = 0;
        for (double budget : BudgetSweep.defaultBudgets(costs, 12)) {
            ThresholdSearch.Policy found = search.search(budget);
            assertTrue(found.validation().meanMultiplyAdds() <= budget, "over budget " + budget);
            assertEquals(val.images(), found.validation().exited(), "every image exits");
            Optional<ThresholdSearch.Policy> geometric = search.bestGeometric(budget);
            if (geometric.isPresent()) {
                assertTrue(geometric.get().validation().meanMultiplyAdds() <= budget);
                assertTrue(found.validation().correct() >= geometric.get().validation().correct(),
                        "search lost to p^j at " + budget);
                strictlyBetter += found.validation().correct() > geometric.get().validation().correct() ? 1 : 0;
            }
        }
        assertTrue(strictlyBetter > 0, "a search that only copies p^j would not be worth having");
    }

    @Test
    void budgetBelowTheCheapestStageIsRefused() {
        ThresholdSearch search = new ThresholdSearch(DynamicInferenceTest.small(), new StageCosts(new long[] {10, 25, 40}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> search.search(9));
        assertTrue(e.getMessage().contains("below the cheapest stage"), e.getMessage());
    }

    @Test
    void smallTableSearchFindsTheOptimum() {
        // Brute force over every threshold vector that matters confirms the search's choice at each budget.
        ExitTable table = DynamicInferenceTest.small();
        StageCosts costs = new StageCosts(new long[] {10, 25, 40});
        ThresholdSearch search = new ThresholdSearch(table, costs);
        double[] candidates = {Double.NEGATIVE_INFINITY, 0.3, 0.35, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97,
            0.99, Double.POSITIVE_INFINITY};
        for (double budget : List.of(10.0, 15.0, 20.0, 25.0, 30.0, 40.0)) {
            int best = 0;
            for (double a : candidates) {
                for (double b : candidates) {
                    Outcome o = DynamicInference.evaluate(table, new double[] {a, b, Double.NEGATIVE_INFINITY}, costs);
                    if (o.meanMultiplyAdds() <= budget) {
                        best = Math.max(best, o.correct());
                    }
                }
            }
            assertEquals(best, search.search(budget).validation().correct(), "budget " + budget);
        }
    }

    @Test
    void geometricSharesFollowPowersOfP() {
        ExitTable table = DynamicInferenceTest.small();
        ThresholdSearch search = new ThresholdSearch(table, new StageCosts(new long[] {10, 25, 40}));
        // p = 1: a third of the images (floor 4/3 = 1) leaves at stage 1: the most confident one.
        double[] t = search.geometricThresholds(1.0);
        Outcome o = DynamicInference.evaluate(table, t, new StageCosts(new long[] {10, 25, 40}));
        assertArrayEquals(new int[] {1, 1, 2}, o.exits());
    }

    @Test
    void splitIsSeededAndDisjoint() {
        Splits.Split a = Splits.split(100, 0.3, 1);
        Splits.Split b = Splits.split(100, 0.3, 1);
        assertArrayEquals(a.validation(), b.validation());
        assertEquals(30, a.validation().length);
        assertEquals(70, a.test().length);
        assertTrue(java.util.Arrays.stream(a.validation())
                .noneMatch(i -> java.util.Arrays.binarySearch(a.test(), i) >= 0));
        assertThrows(IllegalArgumentException.class, () -> Splits.split(100, 1.0, 1));
    }
}
