package org.anchornet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RunPlanTest {
    private static RunPlan plan() {
        return new RunPlan(DemoSettings.converged().build(), 10, 2400, 1000, 2000);
    }

    @Test
    void theRestIsPacedByTheStepsDoneSoFar() {
        RunPlan plan = plan();
        assertNull(plan.secondsLeft("anchornet"), "no pace before a step with work has finished");
        plan.finished("pretrain", 600, 590);
        double left = plan.secondsLeft("anchornet");
        RunPlan twiceAsSlow = plan();
        twiceAsSlow.finished("pretrain", 1200, 1190);
        assertEquals(2 * left, twiceAsSlow.secondsLeft("anchornet"), 1e-9 * left);
        assertTrue(plan.secondsLeft("glance") < left, "a later step has less left after it");
    }

    @Test
    void aResumedStepIsPacedByItsRecordedEpochsNotItsWallTime() {
        RunPlan fresh = plan();
        fresh.finished("pretrain", 2400, 2376);
        RunPlan resumed = plan();
        assertEquals(2376, resumed.finished("pretrain", 420, 2376), 1e-9,
                "a resumed step counts (and the summary records) its epochs' time"); // two epochs here, nine before
        assertEquals(fresh.secondsLeft("anchornet"), resumed.secondsLeft("anchornet"), 0.02 * fresh.secondsLeft(
                "anchornet"));
        RunPlan wallOnly = plan();
        assertEquals(420, wallOnly.finished("pretrain", 420, 0), 1e-9, "a step without training counts its wall time");
        assertTrue(wallOnly.secondsLeft("anchornet") < resumed.secondsLeft("anchornet") / 5);
    }
}
