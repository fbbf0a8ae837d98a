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
