package org.anchornet.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.anchornet.dynamic.ExitTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo end to end at the smallest sizes, on the Fashion-MNIST sample shipped with the tests. */
class DemoPipelineTest {
    @TempDir Path tmp;

    @Test
    void quickDemoProducesTheReportAndSkipsWork() throws Exception {
        Path out = tmp.resolve("demo");
        DemoSettings settings = DemoSettings.quick().trainSize(48).valSize(12).testSize(20).batchSize(16)
                .budgetFraction(0.45).benchImages(32).outDir(out)
                .fashionMnistDir(Path.of("src/test/resources/fashion-mnist-sample")).workers(1).progress(false).build();
        StringWriter log = new StringWriter();
        new DemoPipeline(settings, new PrintWriter(log, true)).run();
        for (String file : List.of("report.html", "summary.json", "frontier.csv", "frontier.png", "frontier.svg",
                "throughput.png", "throughput.svg", "exits.png", "examples.png", "cams.png",
                "tables/anchornet_val.pth", "tables/anchornet_test.pth", "tables/random_test.pth",
                "tables/centre_test.pth", "bench.json", "bench.log", "checkpoints/full/best.pth",
                "checkpoints/patch/train_log.csv")) {
            assertTrue(Files.size(out.resolve(file)) > 0, file);
        }
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<img src=\"frontier.png\"") && html.contains("random windows")
                && html.contains("<th>stage 5 ("), "report sections");

        JsonObject summary = JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
        double baselineG = summary.getAsJsonObject("baseline").get("gmacs").getAsDouble();
        assertEquals(1.8145, baselineG, 0.001, "ResNet-18 at 224 px");
        double glanceTop1 = summary.getAsJsonObject("glance_only").get("test_top1").getAsDouble();
        for (String method : List.of("anchornet", "random", "centre")) {
            JsonObject m = summary.getAsJsonObject("early_exit").getAsJsonObject(method);
            JsonArray atStage = m.getAsJsonArray("test_top1_at_stage");
            assertEquals(5, atStage.size(), method);
            assertEquals(glanceTop1, atStage.get(0).getAsDouble(), 1e-12, method + ": stage 1 is the glance alone");
            double top1 = m.get("test_top1").getAsDouble();
            assertTrue(top1 >= 0 && top1 <= 1, method + " accuracy " + top1);
            assertTrue(m.get("val_gmacs").getAsDouble() <= summary.get("budget_gmacs").getAsDouble() + 1e-9,
                    method + " fit within the budget on validation");
        }
        JsonObject bench = summary.getAsJsonObject("bench");
        JsonArray perStage = bench.getAsJsonArray("images_per_stage");
        assertEquals(32, perStage.get(0).getAsLong(), "every image gets the glance");
        for (int s = 1; s < perStage.size(); s++) {
            assertTrue(perStage.get(s).getAsLong() <= perStage.get(s - 1).getAsLong(), "stages only lose images");
        }
        assertEquals(perStage.get(1).getAsLong(), bench.get("anchornet_images").getAsLong(),
                "AnchorNet runs only on images that did not leave after the glance");
        assertTrue(bench.get("engine_gmacs_per_image").getAsDouble() < baselineG);
        assertTrue(bench.get("engine_images_per_s").getAsDouble() > 0);

        ExitTable test = ExitTable.read(out.resolve("tables/anchornet_test.pth"));
        assertEquals(20, test.images());
        assertEquals(5, test.stages());
        assertTrue(log.toString().contains("[9/9"), log.toString());
    }
}
