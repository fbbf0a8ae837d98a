package org.anchornet.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ProgressBar;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void aLogFileGetsNoCarriageReturnBars() {
        // Surefire runs tests with piped standard streams, as nohup or '> run.log 2>&1' runs a command.
        assertFalse(Progress.interactive(), "the test JVM has no terminal");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (ProgressBar bar = Progress.bar("epoch 1/3", 10, true)) {
            assertNull(bar, "requested, but nobody watches the output");
        } finally {
            System.setErr(err);
        }
        assertEquals("", captured.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aDisabledBarIsNull() {
        assertNull(Progress.bar("x", 10, false));
    }
}
