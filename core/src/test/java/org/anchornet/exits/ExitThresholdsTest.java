package org.anchornet.exits;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExitThresholdsTest {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final double ALL = Double.NEGATIVE_INFINITY;

    @Test
    void theFinalStageTakesEveryoneAndANegativeThresholdEndsTheCascade() {
        ExitThresholds t = ExitThresholds.of(0.5, INF, 0.7, 0.9);
        assertArrayEquals(new double[] {0.5, INF, 0.7, ALL}, t.toArray());
        assertEquals(3, t.lastStage());
        ExitThresholds shortened = ExitThresholds.of(0.5, -1, 0.7, 0.9);
        assertEquals(1, shortened.lastStage(), "every image still in leaves at the second stage");
        assertEquals(ALL, shortened.get(1));
        assertEquals(ExitThresholds.of(0.5, ALL, 0.1, 0.2), shortened, "stages after the end never run");
        assertThrows(IllegalArgumentException.class, () -> ExitThresholds.of(0.5, Double.NaN, 0));
    }

    @Test
    void storedFormRoundTripsWithItsLastStage() {
        for (ExitThresholds t : List.of(ExitThresholds.of(0.5, INF, 0.7, 0.9), ExitThresholds.of(0.5, ALL, 0.7, 0.9),
                ExitThresholds.of(ALL, 0.1, 0.2), ExitThresholds.neverEarly(5))) {
            ExitThresholds back = ExitThresholds.fromStored(t.stored(), t.lastStage() + 1);
            assertEquals(t, back, t.toString());
        }
        assertEquals(Arrays.asList(0.5, null, null, null), ExitThresholds.of(0.5, ALL, 0.7, 0.9).stored());
        // format 1: no last stage, and −1 let everyone still in leave
        assertEquals(1, ExitThresholds.fromStored(Arrays.asList(0.5, -1.0, 0.7, null), null).lastStage());
    }

    @Test
    void commandLineSpellings() {
        ExitThresholds t = ExitThresholds.parse(List.of("0.5", "none", "all", "0.9"));
        assertArrayEquals(new double[] {0.5, INF, ALL, ALL}, t.toArray());
        assertEquals("0.500000 none all all", t.toString());
        assertEquals(t, ExitThresholds.parse(List.of(t.toString().split(" "))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExitThresholds.parse(List.of("0.5", "half")));
        assertTrue(e.getMessage().contains("'half'") && e.getMessage().contains("none"), e.getMessage());
    }
}
