package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.RgbImage;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.PredictionReport;
import org.anchornet.serve.CascadeServer;
import org.anchornet.serve.RequestBatcher;
import org.anchornet.testing.Golden;
import org.anchornet.testing.JsonAnswers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library one image at a time and as one batch, {@code predict}, {@code classify} and the server all give the
 * answers recorded in the golden file before issue 23's refactors (the Spark job is held to it in its own module).
 */
class GoldenOutputsTest {
    @TempDir static Path tmp;
    static Golden golden;
    static Path pkg;
    static List<Path> files;
    static List<JsonObject> expected;

    @BeforeAll
    static void cascade() throws Exception {
        golden = Golden.load();
        pkg = golden.writeCascade(tmp.resolve("cascade"));
        files = golden.imageFiles();
        expected = golden.answers();
        assertEquals(8, files.size());
        assertEquals(files.size(), expected.size());
        // the golden images leave at several stages, so flights and early exits are covered
        assertTrue(expected.stream().map(a -> a.get("exit_stage").getAsInt()).distinct().count() >= 3);
    }

    private static void assertGolden(int i, JsonObject actual, String where) {
        String name = expected.get(i).get("image").getAsString();
        assertEquals(golden.images().resolve(name), files.get(i), "images and answers in the same order");
        JsonAnswers.assertSameAnswer(Golden.withoutImage(expected.get(i)), Golden.withoutImage(actual),
                where + " " + name);
    }

    private static JsonObject json(PredictionReport report) {
        return JsonParser.parseString(new Gson().toJson(report)).getAsJsonObject();
    }

    @Test
    void theLibraryOneByOneAndAsOneBatch() throws Exception {
        try (Cascade c = Cascade.load(pkg)) {
            List<RgbImage> decoded = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                assertGolden(i, json(PredictionReport.of("x", c.classify(files.get(i)), c.config())), "library");
                decoded.add(ImageDecoder.decode(files.get(i)));
            }
            List<Prediction> together = c.classify(decoded);
            for (int i = 0; i < files.size(); i++) {
                assertGolden(i, json(PredictionReport.of("x", together.get(i), c.config())), "one batch");
            }
        }
    }

    @Test
    void predictAndClassifyCommands() throws Exception {
        List<String> paths = files.stream().map(Path::toString).toList();
        List<String> predictArgs = new ArrayList<>(List.of("predict", "--cascade", pkg.toString()));
        predictArgs.addAll(paths);
        CliTest.Run predict = CliTest.run(predictArgs.toArray(String[]::new));
        assertEquals(0, predict.code(), predict.err());
        JsonArray printed = JsonParser.parseString(predict.out()).getAsJsonArray();
        assertEquals(files.size(), printed.size());
        for (int i = 0; i < files.size(); i++) {
            assertGolden(i, printed.get(i).getAsJsonObject(), "predict");
        }

        Path json = tmp.resolve("classify.json");
        List<String> classifyArgs = new ArrayList<>(List.of("classify", "--cascade", pkg.toString(), "--batch-size",
                "3", "--json", json.toString()));
        classifyArgs.addAll(paths);
        CliTest.Run classify = CliTest.run(classifyArgs.toArray(String[]::new));
        assertEquals(0, classify.code(), classify.err());
        JsonArray written = JsonParser.parseString(Files.readString(json)).getAsJsonArray();
        assertEquals(files.size(), written.size());
        for (int i = 0; i < files.size(); i++) {
            assertGolden(i, written.get(i).getAsJsonObject(), "classify");
        }
    }

    @Test
    void theServerWithRequestsBatchedTogether() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (Cascade c = Cascade.load(pkg);
                CascadeServer server = CascadeServer.start(c, null, 1_000_000_000L, new CascadeServer.Settings(
                        "127.0.0.1", 0, new RequestBatcher.Options(8, 200, 64), 1 << 20, 60_000, 30_000))) {
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (Path file : files) {
                String body = "{\"input\": {\"image\": \"data:image/png;base64,"
                        + Base64.getEncoder().encodeToString(Files.readAllBytes(file)) + "\"}}";
                sent.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/predictions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < files.size(); i++) {
                HttpResponse<String> r = sent.get(i).join();
                assertEquals(200, r.statusCode(), r.body());
                assertGolden(i, JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("output"),
                        "server");
            }
        }
    }
}
