package org.anchornet.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.exits.ExitTable;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;
import org.anchornet.testing.Folders;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo end to end at the smallest sizes, on the Fashion-MNIST sample shipped with the tests. */
class DemoPipelineTest {
    @TempDir Path tmp;

    private static DemoSettings.Builder tiny(Path out) {
        return DemoSettings.quick().trainSize(32).valSize(12).testSize(20).canvas(128).resolutions(List.of(112))
                .batchSize(16).budgetFraction(0.6).benchImages(32).outDir(out)
                .fashionMnistDir(Path.of("src/test/resources/fashion-mnist-sample")).workers(1).progress(false);
    }

    @Test
    void demoRunsEveryStepWritesTheCascadeAndResumesWithoutRedoingWork() throws Exception {
        Path out = tmp.resolve("demo");
        StringWriter log = new StringWriter();
        DemoSummary first = new DemoPipeline(tiny(out).build(), new PrintWriter(log, true)).run();
        for (String file : List.of("report.html", "summary.json", "frontier.csv", "frontier.png", "frontier.svg",
                "throughput.png", "exits.png", "examples.png", "cams.png", "tables/anchornet_val.pth",
                "tables/anchornet_test.pth", "tables/random_test.pth", "tables/centre_test.pth", "bench.json",
                "bench.log", "checkpoints/full/best.pth", "checkpoints/pretrained/best.pth",
                "checkpoints/resized-112/best.pth", "checkpoints/patch/train_log.csv", "cascade/cascade.json",
                "per_class.csv", "confusion.csv")) {
            assertTrue(Files.size(out.resolve(file)) > 0, file);
        }
        // every step says its place in the plan and, once one has finished, how long the rest should take
        String steps = log.toString();
        java.util.regex.Matcher last = java.util.regex.Pattern.compile("\\[(\\d+)/(\\d+) [^\\]]*\\] timing the"
                + " early-exit engine").matcher(steps);
        assertTrue(last.find(), steps);
        assertEquals(last.group(2), last.group(1), "timing is the plan's last step");
        assertTrue(java.util.regex.Pattern.compile("\\[1/" + last.group(2) + " \\d+ s\\] pretraining[^\\n]*\\(run ETA"
                + " after the first step\\)").matcher(steps).find(), steps);
        assertTrue(java.util.regex.Pattern.compile("\\] making exit tables[^\\n]*\\(run ETA \\d+ (s|min)\\)")
                .matcher(steps).find(), steps);
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<img src=\"frontier.png\"") && html.contains("random windows")
                && html.contains("<th>stage 5 (") && html.contains("resolution-scaled baseline at 112 px")
                && html.contains("on each window alone") && html.contains("<tr><td>pretrained</td><td>1</td>"), html);

        try (NDManager m = NDManager.newBaseManager()) {
            double expected = CostCounter.count(Architectures.get("resnet18").create(m, 10, 0), 128).multiplyAdds()
                    / 1e9;
            assertEquals(expected, first.baseline().gmacs(), 1e-9, "ResNet-18 at the canvas size");
        }
        assertEquals(List.of(95, 112, 128), first.resolutions().stream().map(DemoSummary.Resolution::side).toList());
        assertEquals(first.glance().testTop1(), first.resolutions().get(0).testTop1());
        for (String method : DemoTables.SOURCES) {
            DemoSummary.Method m = first.earlyExit().get(method);
            assertEquals(5, m.testTop1AtStage().length, method);
            assertEquals(first.glance().testTop1(), m.testTop1AtStage()[0], 1e-12, method + ": stage 1 is the glance");
            assertTrue(m.valGmacs() <= first.budgetGmacs() + 1e-9, method + " fit within the budget on validation");
            assertEquals(20, java.util.Arrays.stream(m.testExitsPerStage()).sum(), method + ": every image left");
        }
        long[] perStage = first.bench().stageCalls();
        assertEquals(32, perStage[0], "every image gets the glance");
        for (int s = 1; s < perStage.length; s++) {
            assertTrue(perStage[s] <= perStage[s - 1], "stages only lose images");
        }
        assertEquals(perStage[1], first.bench().anchorCalls(), "AnchorNet runs only on images past the glance");
        assertTrue(first.bench().engineMultiplyAdds() < first.baseline().gmacs() * 1e9);
        assertEquals(20, ExitTable.read(out.resolve("tables/anchornet_test.pth")).images());

        // The package holds the thresholds fit on validation and classifies a test canvas with no other input.
        try (Cascade cascade = Cascade.load(out.resolve("cascade"))) {
            CascadeConfig c = cascade.config();
            assertEquals(first.anchorNet().thresholds().subList(0, 4), c.thresholds().subList(0, 4));
            assertEquals(128, c.inputSize());
            assertTrue(c.thresholdFit().method().startsWith("cv:"), c.thresholdFit().method());
            assertEquals(0L, ((Number) c.provenance().data().get("seed")).longValue());
        }

        // A finished run is kept as it was: nothing is tested or timed again (the aggregate of several seeds relies
        // on this), and the summary read back is the one written.
        StringWriter finished = new StringWriter();
        DemoSummary kept = new DemoPipeline(tiny(out).build(), new PrintWriter(finished, true)).run();
        assertTrue(finished.toString().contains("already finished"), finished.toString());
        assertFalse(finished.toString().contains("testing the full-resolution"), finished.toString());
        assertEquals(DemoPipeline.GSON.toJson(first), DemoPipeline.GSON.toJson(kept));
        assertEquals(out, kept.settings().outDir(), "this machine's settings, paths included");

        // Without its summary the run resumes step by step: nothing is trained again and every accuracy is the same.
        // Its settings file is made as older versions wrote it, without the settings added since (they were null).
        Files.delete(out.resolve("summary.json"));
        com.google.gson.JsonObject older = com.google.gson.JsonParser.parseString(Files.readString(
                out.resolve("demo-settings.json"))).getAsJsonObject();
        for (String added : List.of("data", "pretrained", "pretrained_anchornet")) {
            assertTrue(older.has(added) && older.get(added).isJsonNull(), added);
            older.remove(added);
        }
        Files.writeString(out.resolve("demo-settings.json"), older.toString());
        StringWriter again = new StringWriter();
        DemoSummary second = new DemoPipeline(tiny(out).build(), new PrintWriter(again, true)).run();
        assertTrue(again.toString().contains("resuming the run"), again.toString());
        assertTrue(again.toString().contains("testing the full-resolution"), "the remaining steps ran:\n" + again);
        assertFalse(again.toString().contains("epoch 1/1  lr"), "no epoch was trained again:\n" + again);
        assertEquals(first.baseline(), second.baseline());
        assertEquals(first.resolutions(), second.resolutions());
        assertArrayEquals(first.anchorNet().testTop1AtStage(), second.anchorNet().testTop1AtStage());

        // Other settings in the same folder are refused rather than mixed.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DemoPipeline(
                tiny(out).trainSize(40).build(), new PrintWriter(new StringWriter())).run());
        assertTrue(e.getMessage().contains("trainSize"), e.getMessage());

        // Another threshold fit is not another run: the finished run is refit from its saved tables, nothing is
        // trained again, and the fit is recorded in the summary and the package.
        StringWriter refitLog = new StringWriter();
        DemoSummary refit = new DemoPipeline(tiny(out).fit("search").build(), new PrintWriter(refitLog, true)).run();
        assertTrue(refitLog.toString().contains("fitting again with search"), refitLog.toString());
        assertFalse(refitLog.toString().contains("epoch 1/1  lr"), "no epoch was trained again:\n" + refitLog);
        assertEquals("search", refit.settings().fit());
        assertTrue(Files.readString(out.resolve("summary.json")).contains("\"fit\": \"search\""));
        try (Cascade cascade = Cascade.load(out.resolve("cascade"))) {
            assertEquals("search", cascade.config().thresholdFit().method());
        }
        assertEquals(first.baseline(), refit.baseline());

        // The stage recipe on the same networks: only its refinement trains, starting from the paper's patch
        // network, and the cascade carries the refined weights.
        Path staged = tmp.resolve("stages");
        Folders.copyTree(out.resolve("checkpoints"), staged.resolve("checkpoints"));
        StringWriter stageLog = new StringWriter();
        DemoSummary refined = new DemoPipeline(tiny(staged).patchRecipe(DemoSettings.PatchRecipe.STAGES).build(),
                new PrintWriter(stageLog, true)).run();
        String text = stageLog.toString();
        assertEquals(1, text.split("epoch 1/1  lr", -1).length - 1, "one network trained, one epoch:\n" + text);
        assertTrue(text.contains("loaded " + staged.resolve("checkpoints/patch/best.pth")), text);
        assertTrue(text.contains("starting weights: val top-1"), text);
        assertEquals(first.baseline(), refined.baseline());
        assertTrue(Files.readString(staged.resolve("report.html")).contains("refined on the stage outputs"));
        assertEquals(first.glance().testTop1(), refined.anchorNet().testTop1AtStage()[0], 1e-12);
        // the run also scores the paper's patch network, which on these networks is the first run's cascade
        DemoSummary.Method paper = refined.earlyExit().get(DemoTables.PAPER_PATCH);
        DemoSummary.Method paperRun = first.earlyExit().get("anchornet");
        assertArrayEquals(paperRun.testTop1AtStage(), paper.testTop1AtStage(), 1e-12);
        assertEquals(paperRun.testTop1(), paper.testTop1(), 1e-12);
        assertEquals(paperRun.testGmacs(), paper.testGmacs(), 1e-12);
        assertTrue(Files.exists(staged.resolve("tables/paper-patch_test.pth")));
        assertTrue(Files.readString(staged.resolve("report.html")).contains("stage recipe − paper's patch network"));
        assertFalse(first.earlyExit().containsKey(DemoTables.PAPER_PATCH), "the paper's recipe has nothing to add");
        Map<String, TorchTensor> packaged = StateDicts.load(staged.resolve("cascade/patch.pth"));
        Map<String, TorchTensor> best = StateDicts.load(staged.resolve("checkpoints/patch-refined/best.pth"));
        assertEquals(best.keySet(), packaged.keySet());
        best.forEach((k, v) -> assertArrayEquals(v.toDoubleArray(), packaged.get(k).toDoubleArray(), 0, k));

        // Cross-fitted: two glance networks, each on the training canvases outside its fold, then the refinement.
        Path crossed = tmp.resolve("cross-fit");
        Folders.copyTree(out.resolve("checkpoints"), crossed.resolve("checkpoints"));
        StringWriter crossLog = new StringWriter();
        new DemoPipeline(tiny(crossed).patchRecipe(DemoSettings.PatchRecipe.STAGES_CROSS_FIT).build(),
                new PrintWriter(crossLog, true)).run();
        String crossText = crossLog.toString();
        assertEquals(3, crossText.split("epoch 1/1  lr", -1).length - 1, "two fold glances and the refinement:\n"
                + crossText);
        assertTrue(crossText.contains("on the 16 training images outside its fold"), crossText);
        for (String folder : List.of("glance-fold-0", "glance-fold-1", "patch-cross-fit")) {
            assertTrue(Files.exists(crossed.resolve("checkpoints/" + folder + "/best.pth")), folder);
        }
        assertTrue(Files.readString(crossed.resolve("report.html")).contains("did not see the training image"));
        Map<String, TorchTensor> crossPackaged = StateDicts.load(crossed.resolve("cascade/patch.pth"));
        StateDicts.load(crossed.resolve("checkpoints/patch-cross-fit/best.pth")).forEach((k, v) ->
                assertArrayEquals(v.toDoubleArray(), crossPackaged.get(k).toDoubleArray(), 0, k));

        // Under a time budget: every stage timed first (random weights, a fresh process), the fit priced in ms
        Path timed = tmp.resolve("time-budget");
        Folders.copyTree(out.resolve("checkpoints"), timed.resolve("checkpoints"));
        StringWriter timedLog = new StringWriter();
        DemoSummary t = new DemoPipeline(tiny(timed).budgetMs(1e6).build(), new PrintWriter(timedLog, true)).run();
        assertTrue(java.util.regex.Pattern.compile("\\[1/\\d+ [^\\]]*\\] timing every stage on this machine")
                .matcher(timedLog.toString()).find(), "the plan's first step:\n" + timedLog);
        org.anchornet.engine.StageTimesFile times = org.anchornet.engine.StageTimesFile.read(
                timed.resolve("stage-times.json"));
        com.google.gson.JsonObject budget = com.google.gson.JsonParser.parseString(Files.readString(
                timed.resolve("cascade/cascade.json"))).getAsJsonObject().getAsJsonObject("threshold_fit")
                .getAsJsonObject("time_budget");
        assertEquals(1e6, budget.get("budget_ms").getAsDouble());
        assertArrayEquals(times.msPerImage(), new com.google.gson.Gson().fromJson(budget.get("stage_ms"),
                double[].class), 1e-9);
        try (org.anchornet.engine.Cascade c = org.anchornet.engine.Cascade.load(timed.resolve("cascade"))) {
            double ms = org.anchornet.exits.DynamicInference.evaluate(org.anchornet.exits.ExitTable.read(
                    timed.resolve("tables/anchornet_val.pth")), c.config().exitThresholds(), times.costs())
                    .meanMultiplyAdds() / 1e6;
            assertEquals(ms, budget.get("validation_ms").getAsDouble(), 1e-9, "recomputed from table, thresholds"
                    + " and times");
        }
        assertEquals(t.anchorNet().valGmacs(), t.budgetGmacs(), 1e-12, "the multiply-adds the time budget bought");
        assertTrue(Files.readString(timed.resolve("report.html")).contains("ms per image on the machine"));
        // a budget below the glance's time is refused before any training (the stage times are kept and reused)
        Path tooSmall = tmp.resolve("too-small");
        Files.createDirectories(tooSmall);
        Files.copy(timed.resolve("stage-times.json"), tooSmall.resolve("stage-times.json"));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new DemoPipeline(
                tiny(tooSmall).budgetMs(1e-6).build(), new PrintWriter(new StringWriter())).run());
        assertTrue(refused.getMessage().contains("below the glance's"), refused.getMessage());
        assertFalse(Files.exists(tooSmall.resolve("checkpoints")), "nothing trained");
    }
}
