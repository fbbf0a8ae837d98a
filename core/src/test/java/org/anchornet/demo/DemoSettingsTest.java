package org.anchornet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void theConvergedPresetFineTunesPatchesCrossFittedAndTheShortPresetsAsPublished() {
        assertEquals(DemoSettings.PatchRecipe.STAGES_CROSS_FIT, DemoSettings.converged().build().patchRecipe());
        assertEquals(DemoSettings.PatchRecipe.PAPER, DemoSettings.standard().build().patchRecipe());
        assertEquals(DemoSettings.PatchRecipe.PAPER, DemoSettings.quick().build().patchRecipe());
        assertEquals(DemoSettings.PatchRecipe.PAPER, DemoSettings.converged().patchRecipe(
                DemoSettings.PatchRecipe.PAPER).build().patchRecipe(), "the paper's recipe stays selectable");
    }

    @Test
    void everyPatchRecipeParsesFromTheNameItIsRecordedUnder() throws Exception {
        for (DemoSettings.PatchRecipe r : DemoSettings.PatchRecipe.values()) {
            String recorded = DemoSettings.PatchRecipe.class.getField(r.name())
                    .getAnnotation(com.google.gson.annotations.SerializedName.class).value();
            assertEquals(r, DemoSettings.PatchRecipe.parse(recorded));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DemoSettings.PatchRecipe.parse("cross-fit"));
        assertTrue(e.getMessage().contains("stages-cross-fit"), e.getMessage());
    }
}
