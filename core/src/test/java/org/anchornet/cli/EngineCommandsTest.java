package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadeNetwork;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.StageTimesFile;
import org.anchornet.engine.ThresholdFitting;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.model.Architectures;
import org.anchornet.model.StateDictMapper;
import org.anchornet.torchio.TorchWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** classify, predict, visualize, package, make-table and fit-thresholds on random-weight networks. */
class EngineCommandsTest {
    @TempDir static Path tmp;
    private static final String[] THRESHOLDS = {"--thresholds", "0.5", "0.5", "none", "0.5", "0"};

    @BeforeAll
    static void setUp() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (String arch : new String[] {"anchornet", "resnet18"}) {
                TorchWriter.write(tmp.resolve(arch + ".pth"),
                        StateDictMapper.stateDict(Architectures.get(arch).create(manager, 10, 5), 0));
            }
        }
        FashionMnist fashion = FashionMnist.read(Path.of("src/test/resources/fashion-mnist-sample"));
        new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.TEST, 6, ClutteredFashionMnist.Config
                .defaults(2)).export(tmp.resolve("images"));
        new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.VAL, 6, ClutteredFashionMnist.Config
                .defaults(2)).export(tmp.resolve("data").resolve("val"));
        Files.write(tmp.resolve("labels.txt"), FashionMnist.CLASSES);
    }

    private static List<String> separate(String command, String... extra) {
        List<String> args = new ArrayList<>(List.of(command, "--arch", "resnet18",
                "--pretrained-anchornet", tmp.resolve("anchornet.pth").toString(),
                "--resized-pretrained", tmp.resolve("resnet18.pth").toString(),
                "--patch-pretrained", tmp.resolve("resnet18.pth").toString()));
        args.addAll(List.of(extra));
        return args;
    }

    private static CliTest.Run run(List<String> args) {
        return CliTest.run(args.toArray(String[]::new));
    }

    private static Path anImage() throws Exception {
        try (Stream<Path> files = Files.walk(tmp.resolve("images"))) {
            return files.filter(p -> p.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        }
    }

    /** The package made from the same checkpoints and flags as {@link #separate}. */
    private static Path packaged() {
        Path pkg = tmp.resolve("cascade");
        if (!Files.exists(pkg)) {
            List<String> args = separate("package", "--out", pkg.toString(), "--labels",
                    tmp.resolve("labels.txt").toString());
            args.addAll(List.of(THRESHOLDS));
            CliTest.Run r = run(args);
            assertEquals(0, r.code(), r.err());
        }
        return pkg;
    }

    @Test
    void classifyReportsEveryImageAndTheWorkPerStage() throws Exception {
        Path json = tmp.resolve("classified.json");
        List<String> args = separate("classify", "--data", tmp.resolve("images").toString(), "--json", json.toString());
        args.addAll(List.of(THRESHOLDS));
        CliTest.Run r = run(args);
        assertEquals(0, r.code(), r.err());
        JsonArray rows = JsonParser.parseString(Files.readString(json)).getAsJsonArray();
        assertEquals(6, rows.size());
        assertEquals(6, r.out().lines().filter(l -> l.contains("\tstage ")).count(), r.out());
        long[] expected = new long[5];
        int correct = 0;
        for (JsonElement e : rows) {
            JsonObject row = e.getAsJsonObject();
            int exit = row.get("exit_stage").getAsInt();
            for (int s = 0; s < exit; s++) {
                expected[s]++;
            }
            assertEquals(exit, row.getAsJsonArray("stage_predictions").size());
            // the label is the class folder's position, which export-data names "<index>_<name>"
            int label = Integer.parseInt(Path.of(row.get("image").getAsString()).getParent().getFileName().toString()
                    .split("_")[0]);
            correct += row.get("class_index").getAsInt() == label ? 1 : 0;
        }
        assertTrue(r.out().contains("images per stage: " + java.util.Arrays.toString(expected)), r.out());
        assertTrue(r.out().contains(String.format(Locale.ROOT, "top-1 %.2f%% on 6 labelled images",
                100.0 * correct / 6)), r.out());
    }

    @Test
    void predictWithThePackageGivesTheSameJsonAsTheSeparateFlags() throws Exception {
        Path image = anImage();
        List<String> args = separate("predict", image.toString(), "--labels", tmp.resolve("labels.txt").toString());
        args.addAll(List.of(THRESHOLDS));
        CliTest.Run flags = run(args);
        assertEquals(0, flags.code(), flags.err());
        CliTest.Run pkg = CliTest.run("predict", "--cascade", packaged().toString(), image.toString());
        assertEquals(0, pkg.code(), pkg.err());
        assertEquals(JsonParser.parseString(flags.out()), JsonParser.parseString(pkg.out()));
        JsonObject one = JsonParser.parseString(pkg.out()).getAsJsonArray().get(0).getAsJsonObject();
        assertEquals(10, one.getAsJsonArray("top10").size());
        int exit = one.get("exit_stage").getAsInt();
        JsonArray windows = one.getAsJsonArray("windows");
        assertEquals(exit == 1 ? 0 : 4, windows.size());
        for (int w = 0; w < windows.size(); w++) {
            assertEquals(w < exit - 1, windows.get(w).getAsJsonObject().get("used").getAsBoolean());
        }
    }

    @Test
    void predictDrawsFiguresForAnImageThatWentThroughEveryStage() throws Exception {
        Path image = anImage();
        Path figures = tmp.resolve("figures");
        List<String> args = separate("predict", image.toString(), "--thresholds", "none", "none", "none", "none",
                "none", "--labels", tmp.resolve("labels.txt").toString(), "--figures", figures.toString());
        CliTest.Run r = run(args);
        assertEquals(0, r.code(), r.err());
        JsonObject one = JsonParser.parseString(r.out()).getAsJsonArray().get(0).getAsJsonObject();
        assertEquals(5, one.get("exit_stage").getAsInt(), "no stage exits early, so every image goes to the last");
        assertEquals(5, one.getAsJsonArray("stage_predictions").size());
        assertEquals(4, one.getAsJsonArray("windows").size());
        String base = image.getFileName().toString().replace(".png", "");
        for (String suffix : List.of("_predictions.png", "_cam.png", "_top10.png", "_top10.svg")) {
            assertTrue(Files.size(figures.resolve(base + suffix)) > 1000, suffix);
        }
    }

    @Test
    void aFlagThatContradictsThePackageIsRefused() throws Exception {
        CliTest.Run r = CliTest.run("predict", "--cascade", packaged().toString(), "--topk", "3", anImage().toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("--topk 3 contradicts the cascade's topk 4"), r.err());
        CliTest.Run checkpoint = CliTest.run("classify", "--cascade", packaged().toString(), "--resized-pretrained",
                tmp.resolve("resnet18.pth").toString(), anImage().toString());
        assertEquals(2, checkpoint.code());
        assertTrue(checkpoint.err().contains("--glance-pretrained cannot be used with --cascade"), checkpoint.err());
    }

    /** The package's exit table on the six validation canvases, made once by make-table. */
    private static Path validationTable() {
        Path tables = tmp.resolve("tables");
        Path table = tables.resolve("resnet18_95_val.pth");
        if (!Files.exists(table)) {
            CliTest.Run made = CliTest.run("make-table", "--cascade", packaged().toString(), "--data",
                    tmp.resolve("data").toString(), "--split", "val", "--save-dir", tables.toString(), "--quiet",
                    "--workers", "1");
            assertEquals(0, made.code(), made.err());
        }
        return table;
    }

    @Test
    void aTimeBudgetIsPricedWithTheStageTimesMeasuredByBench() throws Exception {
        Path table = validationTable();
        Path timesFile = tmp.resolve("stage-times.json");
        CliTest.Run bench = CliTest.run("bench", "--cascade", packaged().toString(), "--data",
                tmp.resolve("data").toString(), "--split", "val", "--images", "6", "--batch-size", "3", "--rounds", "1",
                "--stage-times", timesFile.toString());
        assertEquals(0, bench.code(), bench.err());
        StageTimesFile times = StageTimesFile.read(timesFile);
        assertEquals(5, times.stages());
        assertEquals("resnet18", times.arch());
        assertEquals(3, times.batchSize());
        double[] ms = times.msPerImage();

        double budget = (ms[0] + ms[4]) / 2;
        Path timed = tmp.resolve("timed");
        CliTest.Run fit = CliTest.run("fit-thresholds", "--cascade", packaged().toString(), "--table",
                table.toString(), "--budget-ms", Double.toString(budget), "--stage-times", timesFile.toString(),
                "--out", timed.toString());
        assertEquals(0, fit.code(), fit.err());
        try (CascadePackage out = CascadePackage.read(timed)) {
            CascadeConfig config = out.config();
            CascadeConfig.TimeBudget recorded = config.thresholdFit().timeBudget();
            assertEquals(budget, recorded.budgetMs());
            assertArrayEquals(ms, recorded.stageMs());
            // the fit's mean time, recomputed here from the table, the thresholds and the measured times
            ExitTable rows = ExitTable.read(table);
            double sumMs = 0;
            double sumMacs = 0;
            for (int i = 0; i < rows.images(); i++) {
                final int row = i;
                int exit = org.anchornet.exits.ExitRule.exitStage(st -> rows.confidence(st, row),
                        config.exitThresholds());
                sumMs += ms[exit];
                sumMacs += config.costs().stage(exit);
            }
            assertEquals(sumMs / rows.images(), recorded.validationMs(), 1e-5);
            assertTrue(recorded.validationMs() <= budget + 1e-5, recorded.validationMs() + " within " + budget);
            assertEquals(sumMacs / rows.images(), config.thresholdFit().validationMultiplyAdds(), 1);
            assertEquals(null, config.thresholdFit().budget(), "a time budget is not a multiply-add budget");
        }
        assertTrue(fit.out().contains("ms per image on validation"), fit.out());

        // the budget and the times go together; times of another cascade, or broken ones, are refused in one line
        Path other = tmp.resolve("other-times.json");
        Files.writeString(other, Files.readString(timesFile).replace("\"resnet18\"", "\"resnet50\""));
        Path broken = tmp.resolve("broken-times.json");
        Files.writeString(broken, Files.readString(timesFile).replaceFirst("\"ms_per_image\": \\[\\s*[0-9.E-]+",
                "\"ms_per_image\": [1e9"));
        for (List<String> wrong : List.of(List.of("--budget-ms", "5"),
                List.of("--budget-ms", "5", "--stage-times", other.toString()),
                List.of("--budget-ms", "5", "--stage-times", broken.toString()),
                List.of("--budget", "0.8", "--stage-times", timesFile.toString()))) {
            List<String> args = new ArrayList<>(List.of("fit-thresholds", "--cascade", packaged().toString(),
                    "--table", table.toString(), "--out", tmp.resolve("never-timed").toString()));
            args.addAll(wrong);
            CliTest.Run refused = CliTest.run(args.toArray(String[]::new));
            assertEquals(2, refused.code(), wrong + ": " + refused.err());
            assertEquals(1, refused.err().strip().lines().count(), refused.err());
            assertTrue(refused.err().contains("go together") || refused.err().contains("another cascade")
                    || refused.err().contains("non-decreasing"), wrong + ": " + refused.err());
        }
        assertTrue(Files.notExists(tmp.resolve("never-timed")), "a refused fit writes nothing");
    }

    @Test
    void makeTableAndFitThresholdsTakeThePackageAlone() throws Exception {
        Path table = validationTable();
        Path fitted = tmp.resolve("fitted.zip");
        CliTest.Run fit = CliTest.run("fit-thresholds", "--cascade", packaged().toString(), "--table",
                table.toString(), "--budget", "0.8", "--out", fitted.toString());
        assertEquals(0, fit.code(), fit.err());
        try (CascadePackage in = CascadePackage.read(packaged()); CascadePackage out = CascadePackage.read(fitted)) {
            CascadeConfig expected = in.config().withThresholds(ThresholdFitting.stored(ThresholdFitting.fit(
                    in.config(), ExitTable.read(table), 0.8e9, ThresholdFitter.Method.CROSS_VALIDATED)), null);
            assertEquals(expected.thresholds(), out.config().thresholds());
            // six rows are too few to hold any out: the cross-validated fit keeps the one-parameter rule
            assertEquals("cv:pj", out.config().thresholdFit().method());
            assertEquals(6, out.config().thresholdFit().images());
            for (CascadeNetwork n : CascadeNetwork.values()) {
                assertArrayEquals(Files.readAllBytes(in.weights(n)), Files.readAllBytes(out.weights(n)),
                        n + ": the networks are copied unchanged");
            }
        }
        CliTest.Run inspect = CliTest.run("inspect", fitted.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("\"threshold_fit\"") && inspect.out().contains("SHA-256"), inspect.out());

        // with a risk guarantee instead of a budget: six images certify no early exit, and the package says so
        Path guarded = tmp.resolve("guarded.zip");
        CliTest.Run risk = CliTest.run("fit-thresholds", "--cascade", packaged().toString(), "--table",
                table.toString(), "--max-risk", "0.05", "--delta", "0.2", "--out", guarded.toString());
        assertEquals(0, risk.code(), risk.err());
        assertTrue(risk.out().contains("no λ certified at disagreement 0.0500 with probability 0.80"), risk.out());
        try (CascadePackage out = CascadePackage.read(guarded)) {
            CascadeConfig.ThresholdFit recorded = out.config().thresholdFit();
            assertEquals("risk-control", recorded.method());
            assertEquals(new CascadeConfig.RiskBound("disagreement", 0.05, 0.2, null, 0, 0), recorded.riskControl());
            assertEquals(ExitThresholds.neverEarly(out.config().stages()), out.config().exitThresholds());
        }
        for (List<String> wrong : List.of(List.of("--budget", "0.8", "--max-risk", "0.05"),
                List.of("--max-risk", "0.05", "--fit", "pj"), List.of("--budget", "0.8", "--delta", "0.05"))) {
            List<String> args = new ArrayList<>(List.of("fit-thresholds", "--cascade", packaged().toString(),
                    "--table", table.toString(), "--out", tmp.resolve("never.zip").toString()));
            args.addAll(wrong);
            CliTest.Run refused = CliTest.run(args.toArray(String[]::new));
            assertEquals(2, refused.code(), wrong + ": " + refused.err());
            assertTrue(refused.err().contains("--budget") && refused.err().contains("--max-risk")
                    || refused.err().contains("goes with"), refused.err());
        }
        assertTrue(Files.notExists(tmp.resolve("never.zip")), "a refused fit writes nothing");
    }

    @Test
    void visualizeDrawsEveryImageFromAPackageOrAnchorNetAlone() throws Exception {
        for (List<String> source : List.of(List.of("--cascade", packaged().toString()), List.of(
                "--pretrained-anchornet", tmp.resolve("anchornet.pth").toString(), "--topk", "3"))) {
            Path out = tmp.resolve("drawn-" + source.size());
            List<String> args = new ArrayList<>(List.of("visualize", "--data", tmp.resolve("images").toString(),
                    "--save-dir", out.toString(), "--quiet"));
            args.addAll(source);
            CliTest.Run r = run(args);
            assertEquals(0, r.code(), r.err());
            try (Stream<Path> files = Files.walk(out)) {
                assertEquals(6, files.filter(p -> p.toString().endsWith(".png")).count());
            }
        }
    }

    @Test
    void classifyWithoutThresholdsIsAOneLineError() {
        CliTest.Run r = run(separate("classify", "--data", tmp.resolve("images").toString()));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--thresholds"), r.err());
    }
}
