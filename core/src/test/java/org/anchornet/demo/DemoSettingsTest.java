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
    void extraPatchPatienceLengthensOnlyThePatchNetworksPlateauSchedule() {
        DemoSettings converged = DemoSettings.converged().patchExtraPatience(2).build();
        assertEquals(new DemoSettings.Recipe(converged.fineTune().epochs(), converged.fineTune().lr(),
                converged.fineTune().patience() + 2), converged.patchFineTune());
        assertEquals(converged.fineTune().patience() + 3, DemoSettings.stageRefinement(converged.patchFineTune())
                .patience(), "the refinement keeps its one epoch beyond the patch network's patience");
        assertEquals(DemoSettings.converged().build().fineTune(), DemoSettings.converged().build().patchFineTune(),
                "none by default");
        DemoSettings standard = DemoSettings.standard().patchExtraPatience(2).build();
        assertEquals(standard.fineTune(), standard.patchFineTune(), "a cosine recipe has no patience to lengthen");
        assertThrows(IllegalArgumentException.class, () -> DemoSettings.standard().patchExtraPatience(-1).build());
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
    void eachPresetsBudgetLeavesTheSameRoomUnderItsGoal() {
        double standardRoom = 0.50 - DemoSettings.standard().build().budgetFraction();
        double convergedRoom = 0.45 - DemoSettings.converged().build().budgetFraction();
        assertTrue(standardRoom > 0, "the standard preset's budget lies under the 50% goal");
        assertEquals(standardRoom, convergedRoom, 1e-12,
                "the converged preset's budget lies as far under issue 22's 45%");
        assertEquals(0.6, DemoSettings.converged().budgetFraction(0.6).build().budgetFraction(), 1e-12,
                "--budget-fraction overrides the preset's");
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

    @Test
    void theThresholdFitDefaultsToCrossValidationAndRefusesUnknownNames() {
        assertEquals("cv", DemoSettings.standard().build().fit());
        assertEquals("search", DemoSettings.converged().fit("search").build().fit());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DemoSettings.standard().fit("best").build());
        assertTrue(e.getMessage().contains("best"), e.getMessage());
    }
}
