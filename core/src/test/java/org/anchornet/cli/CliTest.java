package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.anchornet.testing.Fixtures;
import picocli.CommandLine;
import org.junit.jupiter.api.Test;

class CliTest {
    /** Runs the CLI in-process; returns exit code, stdout and stderr. */
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        CommandLine cli = AnchorNetCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void everyCommandsHelpRendersWithoutFormatWarnings() {
        // picocli formats descriptions with String.format and only warns (on System.err) about a stray '%'.
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        try {
            System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            CommandLine cli = AnchorNetCli.commandLine();
            assertFalse(cli.getSubcommands().isEmpty());
            for (CommandLine sub : cli.getSubcommands().values()) {
                assertFalse(sub.getUsageMessage().isBlank(), sub.getCommandName());
            }
        } finally {
            System.setErr(saved);
        }
        assertEquals("", captured.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void flopsPrintsTheReferenceFigures() {
        Run r = run("flops", "--arch", "anchornet", "--input", "224");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("anchornet: 0.6750 M parameters, 0.0605 G multiply-adds at 224 px"), r.out());
        assertTrue(r.out().contains("feature map 17×17; each cell sees a 95×95 window, 8 px apart"), r.out());
    }

    @Test
    void forwardBenchLoadsWeightsAndRefusesThemForTraining() {
        String weights = Fixtures.file("anchornet_state.pth").toString();
        Run r = run("forward-bench", "--arch", "anchornet", "--input", "95", "--batch-size", "2", "--iterations", "1",
                "--warmup", "0", "--fold", "--weights", weights);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("djl anchornet forward (BN folded) batch 2×3×95×95"), r.out());
        Run training = run("forward-bench", "--arch", "anchornet", "--train", "--weights", weights);
        assertEquals(2, training.code());
        assertTrue(training.err().contains("--train times random weights"), training.err());
    }

    @Test
    void forwardBenchProfilesTheTimedPassesAndRanksTheirOperators(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Path trace = tmp.resolve("traces/anchornet.json");
        Run r = run("forward-bench", "--arch", "anchornet", "--input", "95", "--batch-size", "2", "--iterations", "2",
                "--warmup", "1", "--fold", "--profile", trace.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.size(trace) > 0, "the trace is written");
        java.util.List<ProfileTrace.Row> rows = ProfileTrace.rank(trace);
        ProfileTrace.Row conv = rows.stream().filter(row -> row.op().startsWith("aten::conv2d [2,3,95,95]"))
                .findFirst().orElseThrow(() -> new AssertionError(rows.toString()));
        assertEquals(2, conv.calls(), "the stem convolution once per timed pass, the warm-up not profiled");
        assertTrue(rows.stream().noneMatch(row -> row.op().startsWith("aten::mkldnn_convolution")),
                "operators inside an operator are not counted again: " + rows);
        assertTrue(r.out().contains("profiled operators: ") && r.out().contains("  aten::conv2d [2,")
                && !r.out().contains("aten::normal"),
                r.out());
        Run training = run("forward-bench", "--arch", "anchornet", "--train", "--profile", trace.toString());
        assertEquals(2, training.code());
    }

    @Test
    void trainDownnetNamesItsModesAndRefusesAGlanceAtAnotherSide() {
        Run other = run("train-downnet", "--mode", "glance", "--patch-size", "64");
        assertEquals(2, other.code());
        assertTrue(other.err().contains("use --mode resized for --patch-size 64"), other.err());
        Run unknown = run("train-downnet", "--mode", "zoom");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--mode must be glance, resized, patch or full, got zoom"), unknown.err());
    }

    @Test
    void forwardBenchTimesTheTrainingStepOfTheTrainingCommands() {
        Run r = run("forward-bench", "--arch", "resnet18", "--train", "--input", "32", "--batch-size", "2",
                "--iterations", "2", "--warmup", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("djl resnet18 train step batch 2×3×32×32: median "), r.out());
        assertTrue(r.out().contains("over 2 batches"), r.out());
    }

    @Test
    void unknownArchitectureIsOneLineAndNonZero() {
        Run r = run("flops", "--arch", "vgg16");
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("unknown architecture 'vgg16'"), r.err());
    }

    @Test
    void inspectRefusesHostileFileWithOneLine() {
        Run r = run("inspect", Fixtures.file("hostile.pth").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("refused"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace for a bad file");
    }

    @Test
    void inspectListsAWrappedCheckpoint() {
        Run r = run("inspect", Fixtures.file("anchornet_checkpoint_wrapped.pth.tar").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("module.conv1.weight: float32 [16, 3, 3, 3]"), r.out());
        assertTrue(r.out().contains("epoch: 3"), r.out());
    }

    @Test
    void badValuesAreOneLineErrorsThatSayWhatTheValueMustBe() {
        String table = Fixtures.file("reference_table.pth").toString();
        String[][] cases = {
            {"'NaN' is not a number", "dynamic-inference", "--table-file", table, "--thresholds", "0.5", "NaN"},
            {"must be a positive number", "dynamic-inference", "--table-file", table, "--budget", "-1"},
            {"must be at least 1, got 0", "predict", "--topk", "0", "x.png"},
            {"must lie in [0, 1]", "predict", "--iou", "1.5", "x.png"},
            {"is not a whole number", "classify", "--batch-size", "many", "x.png"},
        };
        for (String[] c : cases) {
            Run r = run(java.util.Arrays.copyOfRange(c, 1, c.length));
            assertEquals(2, r.code(), String.join(" ", c));
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains(c[0]), c[0] + " in: " + r.err());
        }
    }
}
