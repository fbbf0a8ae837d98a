package org.anchornet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.ImageDataset;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A refinement that keeps its starting weights unless an epoch beats them on validation. */
class KeepStartTest {
    @TempDir Path tmp;

    private TrainingSettings.Builder refinement(Path start) {
        return TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED, tmp.resolve("refined")).pretrained(start)
                .keepStart(true);
    }

    private static EpochResult epoch(int n, double valTop1) {
        return new EpochResult(n, 0.01, 1.0, 0.5, valTop1, 10, 0, 1);
    }

    @Test
    void theScoredStartIsTheBestUntilAnEpochBeatsItStrictly() {
        TrainingSettings s = refinement(Path.of("start.pth")).epochs(5).patience(1).build();
        RunState start = RunState.startScored(s, 0.75);
        RunState tie = start.after(epoch(1, 0.75), 10, s);
        assertEquals(0, tie.bestEpoch(), "a tie does not replace the starting weights");
        assertEquals(0.75, tie.bestTop1());
        assertFalse(tie.lastImproved());
        assertTrue(tie.finished(), "patience 1 without a plateau schedule stops at the first stall");
        assertTrue(tie.ending(s).contains("has not improved on the starting weights"), tie.ending(s));
        RunState better = start.after(epoch(1, 0.76), 10, s);
        assertEquals(1, better.bestEpoch());
        assertTrue(better.lastImproved());
    }

    @Test
    void keepingTheStartNeedsAStartAndIsRecordedOnlyWhenSet() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingRunTest.tiny(
                TrainingSettings.Mode.RESIZED, tmp).keepStart(true).build());
        assertTrue(e.getMessage().contains("pretrained"), e.getMessage());
        assertEquals(Boolean.TRUE, refinement(Path.of("start.pth")).build().asMap().get("keep_start"));
        assertFalse(TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED, tmp).build().asMap().containsKey("keep_start"),
                "checkpoints of runs without it keep resuming");
    }

    @Test
    void aRefinementNeverEndsBelowItsStartOnValidation() throws Exception {
        ImageDataset train = TrainingRunTest.canvases(ClutteredFashionMnist.Split.TRAIN, 8);
        ImageDataset val = TrainingRunTest.canvases(ClutteredFashionMnist.Split.VAL, 8);
        TrainingRunTest.run(TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED, tmp.resolve("start")).epochs(2)
                .build(), train, val, new ArrayList<>());
        Path start = tmp.resolve("start/best.pth");
        double startTop1;
        try (TrainingRun scorer = new TrainingRun(TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED,
                tmp.resolve("scorer")).pretrained(start).build(), new PrintWriter(java.io.Writer.nullWriter()))) {
            startTop1 = scorer.evaluate(val);
        }
        // a high rate, so that the refinement's epochs may well fall below the start
        StringWriter log = new StringWriter();
        TrainingRun.Result result;
        try (TrainingRun run = new TrainingRun(refinement(start).epochs(2).lr(0.2).build(), new PrintWriter(log,
                true))) {
            result = run.fit(train, val);
        }
        Matcher m = Pattern.compile("starting weights: val top-1 ([0-9.]+)%").matcher(log.toString());
        assertTrue(m.find(), log.toString());
        assertEquals(100 * startTop1, Double.parseDouble(m.group(1)), 0.005, "the start is scored as evaluated");
        assertTrue(result.bestTop1() >= startTop1, result.bestTop1() + " < " + startTop1);
        Map<String, Object> best = TorchReader.readDict(result.best());
        if (result.bestEpoch() == 0) {
            assertEquals(startTop1, result.bestTop1());
            assertArrayEquals(weights(StateDicts.load(start)), weights(StateDicts.load(result.best())), 0,
                    "best.pth holds the starting weights");
            assertTrue(log.toString().contains("(the starting weights)"), log.toString());
            // killed before best.pth was written: the resumed run writes the kept start from the checkpoint
            java.nio.file.Files.delete(result.best());
            StringWriter resumed = new StringWriter();
            try (TrainingRun run = new TrainingRun(refinement(start).epochs(2).lr(0.2).resume(true).build(),
                    new PrintWriter(resumed, true))) {
                run.fit(train, val);
            }
            assertTrue(resumed.toString().contains("from the checkpoint (the starting weights)"), resumed.toString());
            assertArrayEquals(weights(StateDicts.load(start)), weights(StateDicts.load(result.best())), 0,
                    "best.pth rewritten with the starting weights");
        } else {
            assertTrue(result.bestTop1() > startTop1);
            assertEquals((long) result.bestEpoch(), best.get("epoch"));
        }
        Map<?, ?> config = (Map<?, ?>) TorchReader.readDict(result.last()).get("config");
        assertEquals(Boolean.TRUE, config.get("keep_start"));
    }

    private static double[] weights(Map<String, org.anchornet.torchio.TorchTensor> state) {
        // num_batches_tracked counts the steps of the run that saved the weights, not the weights themselves
        return state.entrySet().stream().filter(e -> !e.getKey().endsWith("num_batches_tracked"))
                .flatMapToDouble(e -> java.util.Arrays.stream(e.getValue().toDoubleArray())).toArray();
    }
}
