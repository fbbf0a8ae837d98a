package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.anchornet.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DynamicInferenceCommandTest {
    @TempDir Path tmp;

    private static final String[] COSTS = {"--downstream-gmacs", "0.7898", "--anchornet-gmacs", "0.0605"};

    private static String table() {
        return Fixtures.file("reference_table.pth").toString();
    }

    private static CliTest.Run run(String... args) {
        String[] all = new String[args.length + COSTS.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(COSTS, 0, all, args.length, COSTS.length);
        return CliTest.run(all);
    }

    @Test
    void readmeExampleGivesThePublishedGlancePoint() {
        CliTest.Run r = run("dynamic-inference", "--table-file", table(), "--thresholds", "0", "0.9", "0.9", "0.9", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("accuracy 0.7038, 0.7898 G multiply-adds per image"), r.out());
    }

    @Test
    void thresholdVectorsFromAFileAsCsvAndJson() throws Exception {
        Path file = Files.writeString(tmp.resolve("vectors.txt"), """
                # glance only, as the README's example
                [0, 0.9, 0.9, 0.9, 0]
                0.85 0.9 0.9 0.9 none none   # words for never early
                inf inf
                """);
        CliTest.Run csv = run("dynamic-inference", "--table-file", table(), "--thresholds-file", file.toString(),
                "--format", "csv");
        assertEquals(0, csv.code(), csv.err());
        java.util.List<String> lines = csv.out().strip().lines().toList();
        assertEquals("thresholds,accuracy,mean_gmacs,exited,exits_per_stage,correct_per_stage", lines.get(0));
        assertEquals(4, lines.size(), csv.out());
        assertTrue(lines.get(1).startsWith("0;0.9;0.9;0.9;0,0.703"), lines.get(1));
        assertTrue(lines.get(2).startsWith("0.85;0.9;0.9;0.9;inf;inf,"), lines.get(2));
        assertTrue(lines.get(3).startsWith("inf;inf,NaN,0.000000,0,0;0,0;0"), lines.get(3));

        CliTest.Run json = run("dynamic-inference", "--table-file", table(), "--thresholds-file", file.toString(),
                "--json");
        assertEquals(0, json.code(), json.err());
        JsonArray rows = JsonParser.parseString(json.out()).getAsJsonArray();
        assertEquals(3, rows.size());
        assertEquals("inf", rows.get(1).getAsJsonObject().getAsJsonArray("thresholds").get(4).getAsString());
        assertTrue(Double.isNaN(rows.get(2).getAsJsonObject().get("accuracy").getAsDouble()), "none exited");

        Path bad = Files.writeString(tmp.resolve("bad.txt"), "0 0.9\n0.5 maybe\n");
        CliTest.Run refused = run("dynamic-inference", "--table-file", table(), "--thresholds-file", bad.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("bad.txt:2: not a list of numbers: 0.5 maybe"), refused.err());
    }

    @Test
    void jsonOutputParses() {
        CliTest.Run r = run("dynamic-inference", "--table-file", table(), "--thresholds", "0.85", "0.9", "0.9", "0.9",
                "0", "0", "--format", "json");
        assertEquals(0, r.code(), r.err());
        JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(1, rows.size());
        assertEquals(50000, rows.get(0).getAsJsonObject().get("exited").getAsInt());
        double acc = rows.get(0).getAsJsonObject().get("accuracy").getAsDouble();
        assertTrue(acc > 0.7038 && acc < 0.77, "more patches help: " + acc);
    }

    @Test
    void budgetFitStaysWithinBudgetOnValidation() {
        CliTest.Run r = run("dynamic-inference", "--table-file", table(), "--budget", "1.1", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        for (String method : new String[] {"pj", "pj-shortened", "search", "bagged-search"}) {
            assertTrue(r.out().contains(method + ": validation accuracy"), r.out());
        }
        assertTrue(r.out().contains("(chosen) on test: thresholds"), r.out());
    }

    @Test
    void aTimeBudgetIsSpentWithTheMeasuredStageTimes() throws Exception {
        // a machine where AnchorNet costs as much as a patch: stage 2 costs 2.5 passes of time, not 2.08 of arithmetic
        Path times = Files.writeString(tmp.resolve("times.json"), """
                {"cpu": "test CPU", "threads": 2, "batch_size": 32, "arch": "densenet201", "patch_size": 95,
                 "input_size": 224, "ms_per_image": [10, 25, 35, 45, 55, 65], "full_network_ms_per_image": 60}
                """);
        CliTest.Run r = run("dynamic-inference", "--table-file", table(), "--budget-ms", "20", "--stage-times",
                times.toString(), "--fit", "pj", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(20, o.get("budget_ms").getAsDouble());
        assertEquals(6, o.getAsJsonArray("thresholds").size());
        JsonObject val = o.getAsJsonObject("validation");
        double ms = val.get("mean_ms").getAsDouble();
        assertTrue(ms <= 20 + 1e-9 && ms > 19, "p^j spends the time budget on validation: " + ms);
        // the same thresholds in multiply-adds: past the glance, an image costs 15-55 ms and 0.85-4.01 G more (stage
        // 2 to 6), so the extra G per extra ms lies between 0.85 / 15 and 4.01 / 55
        double extra = val.get("mean_gmacs").getAsDouble() - 0.7898;
        assertTrue(extra >= (ms - 10) * 0.056 && extra <= (ms - 10) * 0.074, extra + " G for " + (ms - 10) + " ms");
        assertEquals(25000, val.get("images").getAsInt() + 0, 1, "half the table fits");
        assertTrue(o.getAsJsonObject("test").get("mean_ms").getAsDouble() < 21);

        CliTest.Run text = run("dynamic-inference", "--table-file", table(), "--budget-ms", "20", "--stage-times",
                times.toString(), "--fit", "pj");
        assertTrue(text.out().contains("budget 20.00 ms per image") && text.out().contains("test (25000 images)"),
                text.out());

        Path fewer = Files.writeString(tmp.resolve("fewer.json"), Files.readString(times)
                .replace("[10, 25, 35, 45, 55, 65]", "[10, 25, 35]"));
        for (String[] wrong : List.of(new String[] {"--budget-ms", "20"},
                new String[] {"--budget-ms", "20", "--stage-times", fewer.toString()},
                new String[] {"--budget", "1.2", "--stage-times", times.toString()})) {
            String[] args = new String[wrong.length + 3];
            args[0] = "dynamic-inference";
            args[1] = "--table-file";
            args[2] = table();
            System.arraycopy(wrong, 0, args, 3, wrong.length);
            CliTest.Run refused = run(args);
            assertEquals(2, refused.code(), String.join(" ", wrong) + ": " + refused.err());
            assertTrue(refused.err().contains("go together") || refused.err().contains("3 stages, the table 6"),
                    refused.err());
        }
    }

    @Test
    void budgetJsonIsOneObjectWithEveryCandidateScoredOnBothHalves() {
        CliTest.Run r = run("dynamic-inference", "--table-file", table(), "--budget", "1.78", "--json");
        assertEquals(0, r.code(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(1.78, o.get("budget").getAsDouble(), 1e-12);
        JsonArray fits = o.getAsJsonArray("fits");
        assertEquals("pj", fits.get(0).getAsJsonObject().get("method").getAsString(), "p^j is always among the fits");
        String chosen = o.get("chosen").getAsString();
        boolean found = false;
        for (int i = 0; i < fits.size(); i++) {
            JsonObject fit = fits.get(i).getAsJsonObject();
            found |= fit.get("method").getAsString().equals(chosen);
            assertEquals(6, fit.getAsJsonArray("thresholds").size());
            for (String half : new String[] {"validation", "test"}) {
                double acc = fit.getAsJsonObject(half).get("accuracy").getAsDouble();
                double g = fit.getAsJsonObject(half).get("multiply_adds").getAsDouble();
                assertTrue(acc > 0.70 && acc < 0.76, half + " accuracy is a fraction: " + acc);
                assertTrue(g > 0.78 && g < 1.8, half + " G per image: " + g);
            }
            assertTrue(fit.getAsJsonObject("validation").get("multiply_adds").getAsDouble() <= 1.78);
        }
        assertTrue(found, "the chosen method is one of the fits: " + chosen);
        assertEquals("cv", o.getAsJsonObject("selection").get("method").getAsString());
        // at 1.78 G on this split the choice answers by the most confident stage, and says so
        JsonObject pj = fit(fits, "pj");
        JsonObject mostConfident = fit(fits, "pj-most-confident");
        assertEquals("exit-stage", pj.get("answer").getAsString());
        assertEquals("most-confident", mostConfident.get("answer").getAsString());
        assertEquals("pj-most-confident", chosen, r.out());
        assertTrue(mostConfident.getAsJsonObject("test").get("accuracy").getAsDouble()
                >= pj.getAsJsonObject("test").get("accuracy").getAsDouble(), r.out());
        // the same thresholds given by hand are scored under the rule they were fit for only with --answer
        List<String> given = new java.util.ArrayList<>(List.of("dynamic-inference", "--table-file", table(),
                "--format", "json", "--thresholds"));
        JsonArray stored = mostConfident.getAsJsonArray("thresholds");
        int last = mostConfident.get("last_stage").getAsInt();
        for (int j = 0; j < stored.size(); j++) { // null: never early before the last stage, everyone from it on
            given.add(!stored.get(j).isJsonNull() ? stored.get(j).getAsString() : j < last - 1 ? "1" : "0");
        }
        double byExit = onlyAccuracy(run(given.toArray(String[]::new)));
        given.addAll(List.of("--answer", "most-confident"));
        double byBest = onlyAccuracy(run(given.toArray(String[]::new)));
        assertTrue(byBest > byExit + 0.001, "most-confident " + byBest + " against exit-stage " + byExit);
    }

    private static JsonObject fit(JsonArray fits, String method) {
        for (int i = 0; i < fits.size(); i++) {
            if (fits.get(i).getAsJsonObject().get("method").getAsString().equals(method)) {
                return fits.get(i).getAsJsonObject();
            }
        }
        throw new AssertionError("no fit " + method + " in " + fits);
    }

    private static double onlyAccuracy(CliTest.Run r) {
        assertEquals(0, r.code(), r.err());
        JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
        assertEquals(1, rows.size());
        return rows.get(0).getAsJsonObject().get("accuracy").getAsDouble();
    }

    @Test
    void sweepWritesCsvAndPlots() throws Exception {
        Path dir = tmp.resolve("sweep");
        CliTest.Run r = run("dynamic-inference", "--table-file", table(), "--sweep", "--budgets", "5", "--save-dir",
                dir.toString());
        assertEquals(0, r.code(), r.err());
        String csv = Files.readString(dir.resolve("frontier.csv"));
        assertTrue(csv.startsWith("budget_gmacs,method,val_accuracy"), csv);
        assertEquals(5, csv.lines().filter(l -> l.contains(",search,")).count());
        assertEquals(6, csv.lines().filter(l -> l.contains("stage ") && l.contains(" only")).count());
        assertTrue(Files.size(dir.resolve("frontier.png")) > 10_000);
        assertTrue(Files.readString(dir.resolve("frontier.svg")).contains("<svg"));
    }

    @Test
    void errorsAreOneLineWithNonZeroExit() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.pth"), "junk");
        String[][] cases = {
            {"dynamic-inference", "--table-file", table(), "--thresholds", "0", "0", "0", "0", "0", "0", "0"},
            {"dynamic-inference", "--table-file", table(), "--budget", "0.5"},
            {"dynamic-inference", "--table-file", junk.toString(), "--thresholds", "0"},
            {"dynamic-inference", "--table-file", table(), "--sweep", "--val-fraction", "1.5"},
            {"dynamic-inference", "--table-file", table(), "--thresholds", "0", "--format", "xml"},
            {"dynamic-inference", "--table-file", table(), "--budget", "1.5", "--answer", "most-confident"},
            {"dynamic-inference", "--table-file", table(), "--thresholds", "0", "--answer", "best"},
        };
        for (String[] args : cases) {
            CliTest.Run r = run(args);
            assertEquals(2, r.code(), String.join(" ", args) + "\n" + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
        CliTest.Run below = run("dynamic-inference", "--table-file", table(), "--budget", "0.5");
        assertTrue(below.err().contains("below the cheapest stage"), below.err());
    }
}
