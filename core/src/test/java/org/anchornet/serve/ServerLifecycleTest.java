package org.anchornet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batching across requests, overload, and stopping: in-process and as a real process sent SIGTERM. */
class ServerLifecycleTest {
    @TempDir static Path tmp;
    static Path packageDir;
    static List<Path> images;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void cascade() throws Exception {
        packageDir = CascadeServerTest.makePackage(tmp);
        images = CascadeServerTest.canvases(tmp, 8);
    }

    /** Counts batch sizes per stage. */
    static final class Recorder implements RequestBatcher.Listener {
        final List<int[]> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger exits = new AtomicInteger();

        @Override
        public void batch(int stage, int images) {
            batches.add(new int[] {stage, images});
        }

        @Override
        public void exited(int stage) {
            exits.incrementAndGet();
        }
    }

    private static float[] preprocessed(Cascade c, Path image) throws Exception {
        return c.preprocess(org.anchornet.data.ImageDecoder.decode(image));
    }

    @Test
    void imagesQueuedTogetherRunTheirStagesTogetherAndGetTheLibrarysAnswers() throws Exception {
        try (Cascade c = Cascade.load(packageDir)) {
            Recorder recorder = new Recorder();
            RequestBatcher batcher = RequestBatcher.cascade(c, new RequestBatcher.Options(16, 200, 64), recorder);
            List<CompletableFuture<Prediction>> answers = new ArrayList<>();
            for (Path image : images) {
                answers.add(batcher.submit(preprocessed(c, image)));
            }
            for (int i = 0; i < images.size(); i++) {
                Prediction served = answers.get(i).get(30, TimeUnit.SECONDS);
                Prediction direct = c.classify(images.get(i));
                assertEquals(direct.exitStage(), served.exitStage(), "image " + i);
                assertEquals(direct.predicted(), served.predicted(), "image " + i);
            }
            batcher.drain(10_000);
            assertEquals(images.size(), recorder.exits.get());
            assertTrue(recorder.batches.stream().anyMatch(b -> b[0] == 0 && b[1] == images.size()),
                    "the eight queued images took the glance in one batch");
            int later = recorder.batches.stream().filter(b -> b[0] > 0).mapToInt(b -> b[1]).max().orElse(0);
            assertTrue(later > 1, "survivors went on together");
        }
    }

    @Test
    void survivorsWaitForAFullerBatchWhileRequestsKeepComingAndRunWhenTheyStop() throws Exception {
        try (Cascade c = Cascade.load(packageDir)) {
            // the queue depth each batch started at: all 24 images are queued before the worker takes the first 4
            List<int[]> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<int[]> passes = new java.util.concurrent.CopyOnWriteArrayList<>();
            RequestBatcher[] holder = new RequestBatcher[1];
            java.util.concurrent.CountDownLatch queued = new java.util.concurrent.CountDownLatch(1);
            RequestBatcher.Listener listener = new RequestBatcher.Listener() {
                @Override
                public void batch(int stage, int images) {
                    try {
                        queued.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    batches.add(new int[] {stage, images, holder[0].queueDepth()});
                }

                @Override
                public void exited(int stage) {}

                @Override
                public void patchPass(int images) {
                    passes.add(new int[] {images, holder[0].queueDepth()});
                }
            };
            holder[0] = RequestBatcher.cascade(c, new RequestBatcher.Options(4, 0, 64, 60_000, 1), listener);
            List<CompletableFuture<Prediction>> answers = new ArrayList<>();
            List<Path> order = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (Path image : images) {
                    answers.add(holder[0].submit(preprocessed(c, image)));
                    order.add(image);
                }
            }
            queued.countDown();
            for (int i = 0; i < answers.size(); i++) {
                Prediction served = answers.get(i).get(60, TimeUnit.SECONDS);
                Prediction direct = c.classify(order.get(i));
                assertEquals(direct.exitStage(), served.exitStage(), "image " + i);
                assertEquals(direct.predicted(), served.predicted(), "image " + i);
            }
            holder[0].drain(10_000);
            assertTrue(batches.stream().anyMatch(b -> b[0] > 0), "some images went past the glance");
            // a lone image in a pass also takes its next window, so passes may hold more than the stages' images
            assertTrue(passes.stream().mapToInt(p -> p[0]).sum() >= batches.stream().filter(b -> b[0] > 0)
                    .mapToInt(b -> b[1]).sum(), "every later-stage image went through a patch pass");
            for (int[] p : passes) {
                // the later stages ran short of a full batch between them only once nothing was queued (their wait
                // is a minute)
                assertTrue(p[0] >= 4 || p[1] == 0, "a patch pass of " + p[0] + " images with " + p[1] + " queued");
            }
        }
    }

    @Test
    void aLoneRequestRunsAheadInFewerPassesAndGetsTheLibrarysAnswer() throws Exception {
        try (Cascade c = Cascade.load(packageDir)) {
            List<Integer> passes = new java.util.concurrent.CopyOnWriteArrayList<>();
            RequestBatcher.Listener listener = new RequestBatcher.Listener() {
                @Override
                public void batch(int stage, int images) {}

                @Override
                public void exited(int stage) {}

                @Override
                public void patchPass(int images) {
                    passes.add(images);
                }
            };
            RequestBatcher batcher = RequestBatcher.cascade(c, new RequestBatcher.Options(8, 0, 64, 0, 3), listener);
            int stages = c.config().stages();
            List<Integer> expected = new ArrayList<>();
            for (Path image : images) {
                Prediction served = batcher.submit(preprocessed(c, image)).get(30, TimeUnit.SECONDS);
                Prediction direct = c.classify(image);
                assertEquals(direct.exitStage(), served.exitStage(), image.toString());
                assertEquals(direct.predicted(), served.predicted(), image.toString());
                org.junit.jupiter.api.Assertions.assertArrayEquals(direct.probabilities(), served.probabilities(),
                        1e-5f, image.toString());
                // one request at a time, so each pass past the glance computes the next three windows (0-based
                // stages s, s + 1, s + 2), no further than the last stage
                for (int s = 1, w; s < direct.exitStage(); s += w) {
                    w = Math.min(3, stages - s);
                    expected.add(w);
                }
            }
            batcher.drain(10_000);
            assertTrue(expected.stream().anyMatch(w -> w > 1), "some request went past the glance");
            assertEquals(expected, passes);
        }
    }

    @Test
    void aBatchThatFailsAnswersItsRequestsWithTheErrorAndTheWorkerGoesOn() throws Exception {
        try (Cascade c = Cascade.load(packageDir)) {
            RequestBatcher batcher = RequestBatcher.cascade(c, new RequestBatcher.Options(4, 0, 64), new Recorder());
            CompletableFuture<Prediction> broken = batcher.submit(new float[7]); // not an image of the cascade's size
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> broken.get(30, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof RuntimeException, String.valueOf(e.getCause()));
            Prediction good = batcher.submit(preprocessed(c, images.get(0))).get(30, TimeUnit.SECONDS);
            assertEquals(c.classify(images.get(0)).predicted(), good.predicted());
            batcher.drain(10_000);
        }
    }

    @Test
    void aTakenPortIsRefusedInWordsBeforeAnythingStarts() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress()); Cascade c = Cascade.load(packageDir)) {
            int port = taken.getLocalPort();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CascadeServer.start(c,
                    null, 1_000_000_000L, new CascadeServer.Settings("127.0.0.1", port, new RequestBatcher.Options(
                            4, 5, 64), 1 << 20, 60_000, 30_000)));
            assertTrue(e.getMessage().startsWith("cannot listen on 127.0.0.1:" + port + " (")
                    && e.getMessage().contains("another server on that port"), e.getMessage());
        }
    }

    @Test
    void aFullQueueRefusesWithOverloadedInsteadOfGrowing() throws Exception {
        try (Cascade c = Cascade.load(packageDir)) {
            RequestBatcher batcher = RequestBatcher.cascade(c, new RequestBatcher.Options(1, 0, 3), new Recorder());
            float[] image = preprocessed(c, images.get(0));
            List<CompletableFuture<Prediction>> accepted = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < 40; i++) {
                try {
                    accepted.add(batcher.submit(image));
                } catch (RequestBatcher.OverloadedException e) {
                    refused++;
                    assertTrue(e.getMessage().contains("at capacity"), e.getMessage());
                }
            }
            assertTrue(refused > 0 && accepted.size() < 40, refused + " refused");
            for (CompletableFuture<Prediction> a : accepted) {
                a.get(30, TimeUnit.SECONDS);
            }
            batcher.drain(10_000);
            assertThrows(IllegalStateException.class, () -> batcher.submit(image), "a drained batcher takes nothing");
        }
    }

    @Test
    void overloadOverHttpIs503WithRetryAfterAndEveryAcceptedRequestIsAnswered() throws Exception {
        try (Cascade c = Cascade.load(packageDir);
                CascadeServer server = CascadeServer.start(c, null, 1_000_000_000L, new CascadeServer.Settings(
                        "127.0.0.1", 0, new RequestBatcher.Options(1, 0, 1), 1 << 20, 60_000, 30_000))) {
            String body = CascadeServerTest.predictionBody(Files.readAllBytes(images.get(0)));
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/predictions");
            ExecutorService pool = Executors.newFixedThreadPool(32);
            List<Future<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                sent.add(pool.submit(() -> HTTP.send(HttpRequest.newBuilder(uri).header("Content-Type",
                        "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                        HttpResponse.BodyHandlers.ofString())));
            }
            int ok = 0;
            int overloaded = 0;
            for (Future<HttpResponse<String>> f : sent) {
                HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    ok++;
                } else {
                    assertEquals(503, r.statusCode(), r.body());
                    assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
                    overloaded++;
                }
            }
            pool.shutdown();
            assertTrue(ok > 0 && overloaded > 0, ok + " answered, " + overloaded + " refused");
            assertTrue(server.ready(), "still serving");
        }
    }

    @Test
    void shutdownAnswersWhatIsInFlightThenRefusesAndStops() throws Exception {
        Cascade c = Cascade.load(packageDir);
        CascadeServer server = CascadeServer.start(c, null, 1_000_000_000L, new CascadeServer.Settings("127.0.0.1", 0,
                new RequestBatcher.Options(4, 50, 64), 1 << 20, 60_000, 30_000));
        int port = server.port();
        String body = CascadeServerTest.predictionBody(Files.readAllBytes(images.get(3)));
        URI uri = URI.create("http://127.0.0.1:" + port + "/predictions");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            inFlight.add(pool.submit(() -> HTTP.send(HttpRequest.newBuilder(uri).header("Content-Type",
                    "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString())));
        }
        // Shut down once every request has reached the server: one still connecting is not in flight.
        long until = System.currentTimeMillis() + 60_000;
        while (server.requestsReceived() < inFlight.size() && System.currentTimeMillis() < until) {
            Thread.sleep(5);
        }
        assertEquals(inFlight.size(), server.requestsReceived(), "every request reached the server");
        server.shutdown(30_000);
        assertEquals(0, server.requestsBeingHandled(), "shutdown waited for every request, refusals included");
        int answered = 0;
        for (Future<HttpResponse<String>> f : inFlight) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertTrue(r.statusCode() == 200 || r.statusCode() == 503, r.body());
            answered += r.statusCode() == 200 ? 1 : 0;
        }
        assertTrue(answered > 0, "requests that were in flight were answered");
        assertThrows(ConnectException.class, () -> HTTP.send(HttpRequest.newBuilder(uri).header("Content-Type",
                "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString()), "stopped: nothing listens on the port any more");
        pool.shutdown();
        c.close();
    }

    @Test
    void sigtermStopsARealServerAfterAnsweringWhatIsInFlight() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx2g", "-Dai.djl.offline=true", "-cp",
                System.getProperty("java.class.path"), "org.anchornet.cli.AnchorNetCli", "serve", "--cascade",
                packageDir.toString(), "--port", "0", "--max-batch", "1", "--max-wait-ms", "0"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DJL_OFFLINE", "true");
        builder.environment().put("OPT_OUT_TRACKING", "true");
        Process process = builder.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        int port = -1;
        Pattern serving = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/");
        long deadline = System.currentTimeMillis() + 120_000;
        String line;
        StringBuilder seen = new StringBuilder();
        while (port < 0 && System.currentTimeMillis() < deadline && (line = out.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = serving.matcher(line);
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            }
        }
        assertTrue(port > 0, "the server said where it listens:\n" + seen);
        URI uri = URI.create("http://127.0.0.1:" + port + "/predictions");
        URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
        String body = CascadeServerTest.predictionBody(Files.readAllBytes(images.get(5)));
        HttpRequest request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        assertEquals(200, HTTP.send(request, HttpResponse.BodyHandlers.ofString()).statusCode(), "warm");
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            sent.add(HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        // one image per batch: sixteen take a while; stop the server while several are in flight
        Pattern gauge = Pattern.compile("anchornet_requests_in_flight (\\d+)");
        int inFlight = 0;
        while (inFlight < 3 && System.currentTimeMillis() < deadline) {
            Matcher m = gauge.matcher(HTTP.send(HttpRequest.newBuilder(metrics).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            inFlight = m.find() ? Integer.parseInt(m.group(1)) : 0;
        }
        assertTrue(inFlight >= 3, "requests were in flight");
        process.destroy(); // SIGTERM
        int answered = 0;
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            try {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                assertTrue(r.statusCode() == 200 || r.statusCode() == 503, r.body());
                answered += r.statusCode() == 200 ? 1 : 0;
            } catch (java.util.concurrent.ExecutionException e) {
                // not yet read by the server when it stopped accepting: refused, never half-answered
                assertTrue(e.getCause() instanceof java.io.IOException, e.toString());
            }
        }
        assertTrue(answered >= inFlight, answered + " answered of " + inFlight + " in flight at SIGTERM");
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the server exits after SIGTERM");
        assertEquals(0, process.exitValue(), "a server that drained cleanly after SIGTERM exits 0");
    }
}
