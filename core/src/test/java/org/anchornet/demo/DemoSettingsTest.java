package org.anchornet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DemoSettingsTest {
    @Test
    void theStageRefinementRunsAtATenthOfTheRateWithOneMoreEpochOfPatience() {
        DemoSettings.Recipe converged = DemoSettings.converged().build().fineTune();
        DemoSettings.Recipe refinement = DemoSettings.stageRefinement(converged);
        assertEquals(converged.epochs(), refinement.epochs());
        assertEquals(converged.lr() / 10, refinement.lr(), 1e-15);
        assertEquals(converged.patience() + 1, refinement.patience());
        // a cosine recipe (no patience) stays one: patience would turn it into the plateau schedule
        assertEquals(DemoSettings.Recipe.cosine(4, 0.001), DemoSettings.stageRefinement(DemoSettings.Recipe.cosine(4,
                0.01)));
    }
}
