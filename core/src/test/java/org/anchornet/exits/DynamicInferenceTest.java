package org.anchornet.exits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.anchornet.testing.Fixtures;
import org.anchornet.torchio.TorchFileException;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import org.anchornet.torchio.TorchWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DynamicInferenceTest {
    @TempDir Path tmp;

    /** DenseNet-201 at 95 px and AnchorNet at 224 px, as the cost counter gives them. */
    static final StageCosts DENSENET201 = StageCosts.of(6, 789_790_000L, 60_500_000L);

    /** 4 images × 3 stages with known confidences. */
    static ExitTable small() {
        float[][] conf = {
            {0.95f, 0.40f, 0.60f, 0.30f},
            {0.97f, 0.80f, 0.55f, 0.35f},
            {0.99f, 0.90f, 0.70f, 0.50f}
        };
        boolean[][] right = {
            {true, false, true, false},
            {true, true, false, false},
            {true, true, true, false}
        };
        return new ExitTable(conf, right, null, null, ExitTable.Metadata.of("small"));
    }

    /**
     * Two images, three stages. Image 0: confidences 0.9, 0.5, 0.95, right only at the glance. Image 1: 0.6, 0.6, 0.4,
     * wrong only at the glance (a tie: the earlier stage answers).
     */
    private static ExitTable disagreeing() {
        float[][] conf = {{0.9f, 0.6f}, {0.5f, 0.6f}, {0.95f, 0.4f}};
        boolean[][] correct = {{true, false}, {false, true}, {false, true}};
        int[][] predicted = {{3, 1}, {4, 2}, {5, 2}};
        return new ExitTable(conf, correct, predicted, new long[] {3, 2}, ExitTable.Metadata.of("disagreeing"));
    }

    @Test
    void underTheMostConfidentRuleEachStageHoldsTheBestAnswerSoFar() {
        ExitTable seen = disagreeing().answeredBy(Answer.MOST_CONFIDENT);
        assertArrayEquals(new float[] {0.9f, 0.9f, 0.95f}, new float[] {seen.confidence(0, 0), seen.confidence(1, 0),
            seen.confidence(2, 0)});
        assertArrayEquals(new boolean[] {true, true, false}, new boolean[] {seen.correct(0, 0), seen.correct(1, 0),
            seen.correct(2, 0)});
        assertEquals(Optional.of(3), seen.predicted(1, 0), "stage 2 keeps the glance's class");
        for (int j = 0; j < 3; j++) {
            assertEquals(0.6f, seen.confidence(j, 1), "image 1, stage " + (j + 1));
            assertTrue(!seen.correct(j, 1), "a tie keeps the earlier (wrong) answer; stage " + (j + 1));
        }
        assertEquals(Optional.of(2L), seen.label(1));
        assertTrue(disagreeing().answeredBy(Answer.EXIT_STAGE).correct(1, 0) == false);
    }

    @Test
    void theAnswerRuleDecidesBothWhereAnImageLeavesAndWhatItAnswers() {
        StageCosts costs = new StageCosts(new long[] {10, 20, 30});
        ExitThresholds paper = ExitThresholds.of(0.95, 0.7, 0);
        ExitThresholds best = paper.withAnswer(Answer.MOST_CONFIDENT);
        assertTrue(!paper.equals(best) && best.equals(ExitThresholds.of(0.95, 0.7, 0).withAnswer(
                Answer.MOST_CONFIDENT)), "the answer rule is part of the value");
        // paper: image 0 stays (0.5 at stage 2), answers wrong at stage 3; image 1 stays too, right at stage 3
        Outcome byExit = DynamicInference.evaluate(disagreeing(), paper, costs);
        assertArrayEquals(new int[] {0, 0, 2}, byExit.exits());
        assertEquals(1, byExit.correct());
        // most confident: image 0 leaves at stage 2 on the glance's 0.9, right; image 1 never passes 0.7
        Outcome byBest = DynamicInference.evaluate(disagreeing(), best, costs);
        assertArrayEquals(new int[] {0, 1, 1}, byBest.exits());
        assertEquals(1, byBest.correct());
        assertEquals(25, byBest.meanMultiplyAdds(), 1e-9);
        ExitTable t = disagreeing();
        assertEquals(1, ExitRule.exitStage(s -> t.confidence(s, 0), best));
        assertEquals(0, ExitRule.answerStage(s -> t.confidence(s, 0), 1, Answer.MOST_CONFIDENT));
        assertEquals(2, ExitRule.exitStage(s -> t.confidence(s, 0), paper));
    }

    @Test
    void handMadeTableGivesKnownAnswer() {
        StageCosts costs = new StageCosts(new long[] {10, 25, 40});
        Outcome o = DynamicInference.evaluate(small(), new double[] {0.9, 0.7, 0.0}, costs);
        // image 0 leaves at stage 1 (right); image 1 at stage 2 (0.80 > 0.7, right); image 2 (0.55 ≤ 0.7) at 3
        // (right); image 3 at 3 (wrong)
        assertArrayEquals(new int[] {1, 1, 2}, o.exits());
        assertArrayEquals(new int[] {1, 1, 1}, o.correctExits());
        assertEquals(0.75, o.accuracy(), 1e-12);
        assertEquals((10 + 25 + 40 + 40) / 4.0, o.meanMultiplyAdds(), 1e-12);
    }

    @Test
    void thresholdEqualToConfidenceDoesNotExit() {
        StageCosts costs = new StageCosts(new long[] {10, 25, 40});
        Outcome o = DynamicInference.evaluate(small(), new double[] {0.95, 2, 2}, costs);
        assertArrayEquals(new int[] {0, 0, 0}, o.exits(), "strictly greater: 0.95 does not pass 0.95");
        assertTrue(Double.isNaN(o.accuracy()));
        assertEquals(0.0, o.meanMultiplyAdds(), 0.0, "images that never exit add no cost");
    }

    @Test
    void referenceTableGlanceOnlyPoint() throws Exception {
        ExitTable table = ExitTable.read(Fixtures.file("reference_table.pth"));
        assertEquals(50000, table.images());
        assertEquals(6, table.stages());
        Outcome o = DynamicInference.evaluate(table, new double[] {0, 0.9, 0.9, 0.9, 0}, DENSENET201);
        assertEquals("0.7038", String.format("%.4f", o.accuracy()));
        assertEquals("0.79", String.format("%.2f", o.meanGigaMultiplyAdds()));
        assertEquals(table.stageAccuracy(0), o.accuracy(), 1e-12, "threshold 0 at stage 1 is the glance alone");
    }

    @Test
    void tableRoundTripsWithItsMetadata() throws Exception {
        ExitTable t = new ExitTable(new float[][] {{0.5f, 0.9f}, {0.7f, 0.95f}},
                new boolean[][] {{true, false}, {true, true}}, new int[][] {{3, 1}, {3, 2}}, new long[] {3, 2},
                new ExitTable.Metadata("resnet50_95_[0.3]", Optional.of("resnet50"), Optional.of(95), List.of(0.3),
                        Optional.of(new long[] {752_700_000L, 1_565_900_000L}), List.of("a.png", "b.png")));
        Path file = tmp.resolve("table.pth");
        t.write(file);
        ExitTable back = ExitTable.read(file);
        assertEquals(2, back.images());
        assertEquals(0.95f, back.confidence(1, 1));
        assertEquals(false, back.correct(0, 1));
        assertEquals(Optional.of(2), back.predicted(1, 1));
        assertEquals(Optional.of(2L), back.label(1));
        assertEquals(Optional.of("resnet50"), back.metadata().arch());
        assertEquals(Optional.of(95), back.metadata().patchSize());
        assertEquals(List.of(0.3), back.metadata().iouThresholds());
        assertArrayEquals(new long[] {752_700_000L, 1_565_900_000L}, back.metadata().stageCosts().orElseThrow());
        assertEquals(List.of("a.png", "b.png"), back.metadata().imageIds());
        // The reference's own keys are there, with its dtypes, so its scripts can read our tables.
        Map<String, Object> raw = TorchReader.readDict(file);
        assertEquals("resnet50_95_[0.3]", raw.get("setup"));
        assertArrayEquals(new float[] {0.5f, 0.7f, 0.9f, 0.95f}, ((TorchTensor) raw.get("thresholds")).toFloatArray());
    }

    @Test
    void brokenTablesAreRefusedClearly() throws Exception {
        Path missing = tmp.resolve("missing.pth");
        TorchWriter.write(missing, Map.of("setup", "x", "thresholds", TorchTensor.ofFloats(new float[4], 2, 2)));
        TorchFileException e = assertThrows(TorchFileException.class, () -> ExitTable.read(missing));
        assertTrue(e.getMessage().contains("missing key 'predictions'"), e.getMessage());
        Path mismatched = tmp.resolve("mismatched.pth");
        TorchWriter.write(mismatched, Map.of("setup", "x", "thresholds", TorchTensor.ofFloats(new float[4], 2, 2),
                "predictions", TorchTensor.ofBooleans(new boolean[6], 2, 3)));
        assertTrue(assertThrows(TorchFileException.class, () -> ExitTable.read(mismatched)).getMessage()
                .contains("N×K"));
        Path notATable = Files.writeString(tmp.resolve("junk.pth"), "junk");
        assertThrows(TorchFileException.class, () -> ExitTable.read(notATable));
    }

    @Test
    void moreThresholdsThanStagesIsAnError() {
        assertThrows(IllegalArgumentException.class,
                () -> DynamicInference.evaluate(small(), new double[] {0, 0, 0, 0}, new StageCosts(new long[] {1, 2, 3})));
    }
}
