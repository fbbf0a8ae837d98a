package org.anchornet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.PredictionReport;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.testing.Fixtures;
import org.anchornet.testing.JsonAnswers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server on loopback with a random-weight cascade: answers equal to the library's, every kind of bad input a
 * clear 4xx JSON error with the server still serving, a concurrent mix of good and bad requests, overload, the
 * page's endpoints, and a graceful stop.
 */
class CascadeServerTest {
    @TempDir static Path tmp;
    static Path packageDir;
    static List<Path> images = new ArrayList<>();
    static Cascade cascade;
    static CascadeServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Gson GSON = new Gson();

    /** A random-weight cascade at 128 px whose thresholds send images out at different stages. */
    static Path makePackage(Path dir) throws Exception {
        CascadeConfig untuned = CascadeConfig.builder().arch("resnet18").classes(FashionMnist.CLASSES)
                .inputSize(128).topK(3).build();
        Path draft = dir.resolve("untuned");
        CascadePackage.writeRandom(draft, untuned);
        // thresholds at the median confidence of each stage on the test canvases: images leave at every stage
        List<Double> thresholds = new ArrayList<>();
        try (Cascade c = Cascade.load(draft)) {
            List<org.anchornet.data.RgbImage> loaded = new ArrayList<>();
            for (Path p : canvases(dir, 8)) {
                loaded.add(org.anchornet.data.ImageDecoder.decode(p));
            }
            var every = c.trace(c.pack(loaded));
            for (int stage = 0; stage < 3; stage++) {
                final int j = stage;
                double[] conf = every.stream().mapToDouble(p -> p.stages().get(j).confidence()).sorted().toArray();
                thresholds.add((conf[3] + conf[4]) / 2);
            }
            thresholds.add(null);
        }
        Path pkg = dir.resolve("cascade");
        try (CascadePackage weights = CascadePackage.read(draft)) {
            weights.copyTo(pkg, untuned.withThresholds(ExitThresholds.fromStored(thresholds, null), null));
        }
        return pkg;
    }

    static List<Path> canvases(Path dir, int n) throws Exception {
        ClutteredFashionMnist data = new ClutteredFashionMnist(FashionMnist.read(Path.of(
                "src/test/resources/fashion-mnist-sample")), ClutteredFashionMnist.Split.TEST, n,
                new ClutteredFashionMnist.Config(128, 3, 2, 12, 4, 3));
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path file = dir.resolve("canvas" + i + ".png");
            ImageIO.write(data.load(i).image().toBufferedImage(), "png", file.toFile());
            out.add(file);
        }
        return out;
    }

    @BeforeAll
    static void start() throws Exception {
        packageDir = makePackage(tmp);
        images = canvases(tmp, 8);
        cascade = Cascade.load(packageDir);
        server = CascadeServer.start(cascade, null, 1_000_000_000L, new CascadeServer.Settings("127.0.0.1", 0,
                new RequestBatcher.Options(8, 20, 64), 1 << 20, 60_000, 30_000));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        cascade.close();
    }

    static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    static HttpResponse<String> postJson(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String predictionBody(byte[] image) {
        return "{\"input\": {\"image\": \"data:image/png;base64," + Base64.getEncoder().encodeToString(image)
                + "\"}}";
    }

    static HttpResponse<String> upload(String name, byte[] content) throws Exception {
        String boundary = "----anchornet" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"" + name
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HTTP.send(HttpRequest.newBuilder(uri("/classify")).header("Content-Type",
                "multipart/form-data; boundary=" + boundary).POST(HttpRequest.BodyPublishers.ofByteArray(
                body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What {@code predict} prints for the image, with the server's name for it. */
    static JsonObject expected(Path image, String name) throws Exception {
        PredictionReport r = PredictionReport.of(name, cascade.classify(image), cascade.config());
        return JsonParser.parseString(GSON.toJson(r)).getAsJsonObject();
    }

    static void assertSameAnswer(com.google.gson.JsonElement expected, com.google.gson.JsonElement actual,
            String where) {
        JsonAnswers.assertSameAnswer(expected, actual, where);
    }

    @Test
    void answersEqualTheLibrarysInlineAndUploaded() throws Exception {
        int[] exits = new int[4];
        for (Path image : images) {
            byte[] bytes = Files.readAllBytes(image);
            HttpResponse<String> inline = postJson("/predictions", predictionBody(bytes));
            assertEquals(200, inline.statusCode(), inline.body());
            JsonObject body = JsonParser.parseString(inline.body()).getAsJsonObject();
            assertEquals("succeeded", body.get("status").getAsString());
            assertEquals(expected(image, "input.image"), body.getAsJsonObject("output"), image.toString());
            HttpResponse<String> uploaded = upload(image.getFileName().toString(), bytes);
            assertEquals(200, uploaded.statusCode(), uploaded.body());
            assertEquals(expected(image, image.getFileName().toString()), JsonParser.parseString(uploaded.body())
                    .getAsJsonObject().getAsJsonObject("output"));
            exits[body.getAsJsonObject("output").get("exit_stage").getAsInt() - 1]++;
        }
        assertTrue(Arrays.stream(exits).filter(n -> n > 0).count() >= 2, "images leave at different stages: "
                + Arrays.toString(exits));
    }

    @Test
    void aShortenedCascadeIsServedAsTheLibraryRunsIt() throws Exception {
        // the package's glance threshold, then every image still in leaves at stage 2
        ExitThresholds t = ExitThresholds.of(cascade.config().exitThresholds().get(0), Double.NEGATIVE_INFINITY, 0.1,
                0.1);
        int[] exits = servedAsTheLibraryRunsIt("shortened", t);
        assertTrue(exits[1] > 0 && exits[2] > 0 && exits[3] + exits[4] == 0, "exits per stage: "
                + Arrays.toString(exits));
    }

    @Test
    void aCascadeAnsweringByItsMostConfidentStageIsServedAsTheLibraryRunsIt() throws Exception {
        ExitThresholds t = cascade.config().exitThresholds().withAnswer(org.anchornet.exits.Answer.MOST_CONFIDENT);
        servedAsTheLibraryRunsIt("most-confident", t);
    }

    /** The package's networks with other thresholds, served: every answer is the library's. Returns exits per stage. */
    private int[] servedAsTheLibraryRunsIt(String name, ExitThresholds t) throws Exception {
        Path pkg = tmp.resolve(name);
        try (CascadePackage in = CascadePackage.read(packageDir)) {
            in.copyTo(pkg, in.config().withThresholds(t, null));
        }
        int[] exits = new int[t.stages() + 1];
        try (Cascade other = Cascade.load(pkg); CascadeServer server = CascadeServer.start(other, null,
                1_000_000_000L, new CascadeServer.Settings("127.0.0.1", 0, new RequestBatcher.Options(8, 20, 64),
                        1 << 20, 60_000, 30_000))) {
            assertEquals(t, other.config().exitThresholds());
            for (Path image : images) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.port() + "/predictions")).header("Content-Type", "application/json").POST(
                                HttpRequest.BodyPublishers.ofString(predictionBody(Files.readAllBytes(image)))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonObject output = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("output");
                JsonObject library = JsonParser.parseString(GSON.toJson(PredictionReport.of("input.image",
                        other.classify(image), other.config()))).getAsJsonObject();
                assertSameAnswer(library, output, image.toString());
                exits[output.get("exit_stage").getAsInt()]++;
            }
        }
        return exits;
    }

    @Test
    void figuresComeAsPngDataUris() throws Exception {
        HttpResponse<String> r = postJson("/predictions?figures=1", predictionBody(Files.readAllBytes(images.get(0))));
        JsonObject out = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("output");
        JsonObject figures = out.getAsJsonObject("figures");
        for (String name : List.of("predictions", "top10")) {
            byte[] png = Base64.getDecoder().decode(figures.get(name).getAsString().substring(
                    "data:image/png;base64,".length()));
            assertTrue(ImageIO.read(new java.io.ByteArrayInputStream(png)).getWidth() > 100, name);
        }
        assertEquals(out.get("exit_stage").getAsInt() > 1, figures.has("cam"), "a CAM exactly when AnchorNet ran");
    }

    /** Bad requests, each with the status and words of its error. */
    static List<Object[]> badRequests() throws Exception {
        byte[] truncated = Files.readAllBytes(Fixtures.file("images/truncated.jpg"));
        byte[] bomb = org.anchornet.testing.CraftedImages.pngDeclaring(100_000, 100_000);
        byte[] large = new byte[2 << 20];
        return List.of(
                new Object[] {"not an image", 400, "not an image", (Request) () -> postJson("/predictions",
                        predictionBody("hello".getBytes(StandardCharsets.UTF_8)))},
                new Object[] {"truncated image", 400, "t.jpg", (Request) () -> upload("t.jpg", truncated)},
                new Object[] {"declares gigabytes", 400, "100000×100000", (Request) () -> upload("b.png", bomb)},
                new Object[] {"body over the limit", 413, "", (Request) () -> upload("big.png", large)},
                new Object[] {"malformed JSON", 400, "malformed JSON", (Request) () -> postJson("/predictions",
                        "{\"input\": ")},
                new Object[] {"wrong content type", 415, "application/json", (Request) () -> HTTP.send(
                        HttpRequest.newBuilder(uri("/predictions")).header("Content-Type", "text/plain")
                                .POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                        HttpResponse.BodyHandlers.ofString())},
                new Object[] {"missing field", 400, "input.image", (Request) () -> postJson("/predictions",
                        "{\"input\": {}}")},
                new Object[] {"a URL", 400, "never fetches URLs", (Request) () -> postJson("/predictions",
                        "{\"input\": {\"image\": \"http://127.0.0.1:1/x.png\"}}")},
                new Object[] {"bad base64", 400, "base64", (Request) () -> postJson("/predictions",
                        "{\"input\": {\"image\": \"data:image/png;base64,@@@\"}}")});
    }

    @FunctionalInterface
    interface Request {
        HttpResponse<String> send() throws Exception;
    }

    @Test
    void everyBadInputIsAClearJsonErrorAndTheServerKeepsServing() throws Exception {
        for (Object[] bad : badRequests()) {
            HttpResponse<String> r = ((Request) bad[3]).send();
            assertEquals((int) bad[1], r.statusCode(), bad[0] + ": " + r.body());
            JsonObject body = JsonParser.parseString(r.body()).getAsJsonObject();
            assertEquals("failed", body.get("status").getAsString(), bad[0].toString());
            assertTrue(body.get("error").getAsString().contains((String) bad[2]), bad[0] + ": " + r.body());
        }
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(uri("/health-check")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(200, postJson("/predictions", predictionBody(Files.readAllBytes(images.get(1)))).statusCode());
    }

    @Test
    void aConcurrentMixOfGoodAndBadRequestsGetsEachItsRightAnswer() throws Exception {
        List<Object[]> bad = badRequests();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<HttpResponse<String>>> good = new ArrayList<>();
            List<Future<HttpResponse<String>>> wrong = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (Path image : images) {
                    byte[] bytes = Files.readAllBytes(image);
                    good.add(pool.submit(() -> postJson("/predictions", predictionBody(bytes))));
                }
                for (Object[] b : bad) {
                    wrong.add(pool.submit(() -> ((Request) b[3]).send()));
                }
            }
            for (int i = 0; i < good.size(); i++) {
                HttpResponse<String> r = good.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                assertSameAnswer(expected(images.get(i % images.size()), "input.image"), JsonParser.parseString(
                        r.body()).getAsJsonObject().getAsJsonObject("output"), "request " + i);
            }
            for (int i = 0; i < wrong.size(); i++) {
                int status = wrong.get(i).get().statusCode();
                assertEquals((int) bad.get(i % bad.size())[1], status, bad.get(i % bad.size())[0].toString());
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(uri("/health-check")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode(), "still healthy");
    }

    @Test
    void base64ImagesMayBeLineWrappedWithSchemesInAnyCase() {
        byte[] bytes = {1, 2, 3, (byte) 250, 77, 9, 0, 42, 5, (byte) 128, 64, 33};
        String b64 = Base64.getEncoder().encodeToString(bytes);
        org.junit.jupiter.api.Assertions.assertArrayEquals(bytes, RequestBodies.imageBytes("data:image/png;base64," + b64));
        org.junit.jupiter.api.Assertions.assertArrayEquals(bytes, RequestBodies.imageBytes(
                " DATA:image/PNG;BASE64," + b64.substring(0, 4) + "\r\n  " + b64.substring(4, 8) + "\n" + b64.substring(8)));
        org.junit.jupiter.api.Assertions.assertArrayEquals(bytes, RequestBodies.imageBytes(b64));
        for (String refused : List.of("HTTPS://example.com/a.png", "file:/etc/passwd", "data:image/png,abc",
                "data:image/png;base64," + b64 + "*")) {
            ApiError e = org.junit.jupiter.api.Assertions.assertThrows(ApiError.class,
                    () -> RequestBodies.imageBytes(refused), refused);
            assertEquals(400, e.status, refused);
        }
    }

    /** A sample's value in the text exposition format; 0 when the series is absent (a stage never batched). */
    private static double metric(String text, String series) {
        for (String line : text.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        return 0;
    }

    @Test
    void metricsOpenApiAndThePagesEndpointsAnswer() throws Exception {
        postJson("/predictions", predictionBody(Files.readAllBytes(images.get(2))));
        String metrics = HTTP.send(HttpRequest.newBuilder(uri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String name : List.of("anchornet_requests_total{outcome=\"ok\"}", "anchornet_exits_total{stage=",
                "anchornet_multiply_adds_spent_total", "anchornet_multiply_adds_saved_total",
                "anchornet_request_seconds_bucket", "anchornet_queue_depth", "anchornet_stage_batch_images_count",
                "anchornet_patch_pass_images_count")) {
            assertTrue(metrics.contains(name), name + " in\n" + metrics);
        }
        // the stage clock counts the images the batcher sends to each stage (other tests here also run the cascade
        // as a library, on the same engine: so compare what one more request adds), and time where a stage ran
        postJson("/predictions", predictionBody(Files.readAllBytes(images.get(0))));
        String after = HTTP.send(HttpRequest.newBuilder(uri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (int stage = 1; stage <= 4; stage++) {
            String images = "anchornet_stage_network_images_total{stage=\"" + stage + "\"}";
            String batched = "anchornet_stage_batch_images_sum{stage=\"" + stage + "\"}";
            double added = metric(after, images) - metric(metrics, images);
            assertEquals(metric(after, batched) - metric(metrics, batched), added, "stage " + stage + " in\n" + after);
            assertEquals(stage == 1 ? 1 : added, added, "the glance sees every request");
            String network = "anchornet_stage_seconds_total{part=\"network\",stage=\"" + stage + "\"}";
            assertEquals(added > 0, metric(after, network) > metric(metrics, network), "stage " + stage);
            String anchorNet = "anchornet_stage_seconds_total{part=\"anchornet\",stage=\"" + stage + "\"}";
            assertEquals(stage == 2 && added > 0, metric(after, anchorNet) > metric(metrics, anchorNet),
                    "AnchorNet's time belongs to stage 2");
        }
        double laterImages = 0;
        for (int stage = 2; stage <= 4; stage++) {
            String batched = "anchornet_stage_batch_images_sum{stage=\"" + stage + "\"}";
            laterImages += metric(after, batched) - metric(metrics, batched);
        }
        assertEquals(laterImages, metric(after, "anchornet_patch_pass_images_sum")
                - metric(metrics, "anchornet_patch_pass_images_sum"), "a patch pass counts every later stage's images");
        assertEquals(1, metric(after, "anchornet_decode_seconds_count")
                - metric(metrics, "anchornet_decode_seconds_count"), "one more image decoded");
        JsonObject api = JsonParser.parseString(HTTP.send(HttpRequest.newBuilder(uri("/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).getAsJsonObject();
        assertTrue(api.getAsJsonObject("paths").has("/predictions") && api.getAsJsonObject("paths").has("/classify"));
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(uri("/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<script src=\"/app.js\">"));
        Map<?, ?> info = GSON.fromJson(HTTP.send(HttpRequest.newBuilder(uri("/api/info")).build(),
                HttpResponse.BodyHandlers.ofString()).body(), Map.class);
        assertEquals(4.0, info.get("stages"));
        HttpResponse<String> missing = HTTP.send(HttpRequest.newBuilder(uri("/nothing")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("\"failed\""), missing.body());
    }
}
