package org.anchornet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step ETA of the epoch lines: epochs left if validation stalls from now, and at most, at the mean epoch time. */
class RunStateEtaTest {
    @TempDir Path tmp;

    private static EpochResult epoch(int n, double valTop1, double seconds) {
        return new EpochResult(n, 0.01, 1.0, 0.5, valTop1, 10, 0, seconds);
    }

    @Test
    void thePlateauSchedulesDropsAndEarlyStoppingBoundTheStep() {
        // 20 epochs, patience 2, two drops of the rate before stopping
        TrainingSettings s = TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED, tmp).epochs(20).patience(2)
                .schedule(TrainingSettings.Schedule.PLATEAU).plateauDrops(2).build();
        RunState one = RunState.start(s).after(epoch(1, 0.5, 60), 10, s);
        // improved: 2 stalls to the first drop, 2 more to the second, 2 more to the stop: 6 epochs of 60 s
        assertEquals("  step ETA 6 min (at most 19 min)", one.eta(s));
        RunState two = one.after(epoch(2, 0.4, 120), 10, s);
        // one stall: 1 + 2 + 2 = 5 epochs, at the mean of 90 s
        assertEquals("  step ETA 8 min (at most 27 min)", two.eta(s));
        RunState dropped = two.after(epoch(3, 0.4, 90), 10, s);
        assertEquals(1, dropped.drops());
        // the rate just dropped, the stall count restarts: 2 + 2 epochs
        assertEquals("  step ETA 6 min (at most 26 min)", dropped.eta(s));
    }

    @Test
    void withoutPatienceEveryEpochRunsAndAFinishedRunSaysNothing() {
        TrainingSettings s = TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED, tmp).epochs(3).patience(0).build();
        RunState one = RunState.start(s).after(epoch(1, 0.5, 30), 10, s);
        assertEquals("  step ETA 60 s", one.eta(s));
        RunState done = one.after(epoch(2, 0.5, 30), 10, s).after(epoch(3, 0.5, 30), 10, s);
        assertEquals("", done.eta(s));
    }
}
