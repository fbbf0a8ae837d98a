package org.anchornet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and stalled clients on loopback, bounded in connections and time: hundreds of connections trickling their
 * bodies must not keep a good request waiting, a body that stops arriving is answered 408, and each kind of client
 * mistake is counted under its own label in {@code /metrics}, apart from server errors.
 */
class SlowClientsTest {
    private static final long IDLE_MILLIS = 3_000;
    private static final int TRICKLERS = 300;

    @TempDir static Path tmp;
    static ServeTesting.Limited running;
    static CascadeServer server;
    static byte[] goodImage;

    @BeforeAll
    static void start() throws Exception {
        running = ServeTesting.startLimited(tmp, 1 << 20, IDLE_MILLIS);
        server = running.server();
        goodImage = running.goodImage();
    }

    @AfterAll
    static void stop() throws Exception {
        if (running != null) {
            running.close();
        }
    }

    @Test
    void aGoodRequestIsAnsweredPromptlyWhileHundredsOfClientsTrickle() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        ExecutorService trickle = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < TRICKLERS; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.getOutputStream().write(("POST /predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type:"
                        + " application/json\r\nContent-Length: 100000\r\n\r\n{\"in").getBytes(StandardCharsets.US_ASCII));
                sockets.add(s);
            }
            // one byte per connection every 500 ms, for at most 10 s: a trickle, never a stall
            long until = System.currentTimeMillis() + 10_000;
            trickle.submit(() -> {
                while (System.currentTimeMillis() < until && !Thread.currentThread().isInterrupted()) {
                    for (Socket s : sockets) {
                        try {
                            s.getOutputStream().write('p');
                        } catch (Exception closed) {
                            // refused and closed by the server: fine
                        }
                    }
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Thread.sleep(1_500); // every trickler is past its headers and being read
            for (String path : List.of("/health-check", "/predictions")) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = path.equals("/health-check")
                        ? CascadeServerTest.HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(java.time.Duration
                                .ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString())
                        : CascadeServerTest.HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(java.time.Duration
                                .ofSeconds(20)).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(CascadeServerTest.predictionBody(goodImage)))
                                .build(), HttpResponse.BodyHandlers.ofString());
                double seconds = (System.nanoTime() - t0) / 1e9;
                assertEquals(200, r.statusCode(), path + ": " + r.body());
                assertTrue(seconds < 2.0, path + " took " + seconds + " s with " + TRICKLERS + " trickling clients");
            }
        } finally {
            trickle.shutdownNow();
            trickle.awaitTermination(5, TimeUnit.SECONDS);
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void aTrickledBodyIsRefused408AndCounted() throws Exception {
        double before = count("timeout");
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            String status = null;
            for (int i = 0; i < 40 && status == null; i++) { // a byte every 250 ms, at most 10 s
                Thread.sleep(250);
                try {
                    out.write('x');
                } catch (Exception closed) {
                    break;
                }
                if (s.getInputStream().available() > 0) {
                    status = in.readLine();
                }
            }
            if (status == null) {
                status = in.readLine();
            }
            assertTrue(status != null && status.contains(" 408"), "status: " + status);
        }
        assertEquals(before + 1, count("timeout"), "the refused body is counted as a timeout");
    }

    @Test
    void aBodyThatStopsArrivingIs408AndCounted() throws Exception {
        double before = count("timeout");
        double errors = count("error");
        for (String head : List.of("Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"input\": {",
                "Content-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout((int) (IDLE_MILLIS + 10_000));
                s.getOutputStream().write(("POST /predictions HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head)
                        .getBytes(StandardCharsets.US_ASCII));
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                        StandardCharsets.ISO_8859_1));
                String status = in.readLine();
                while (status != null && status.contains(" 100 ")) { // the interim answer to Expect
                    in.readLine();
                    status = in.readLine();
                }
                assertTrue(status != null && status.contains(" 408"), head + ": " + status);
            }
        }
        assertEquals(before + 2, count("timeout"));
        assertEquals(errors, count("error"), "a stalled client is not a server error");
    }

    @Test
    void unknownRoutesAndMethodsAreCountedAsSuchNotAsErrors() throws Exception {
        Map<String, Double> before = counts();
        List<String[]> calls = List.of(new String[] {"POST", "/missing", "404"},
                new String[] {"PUT", "/predictions", "405"}, new String[] {"DELETE", "/predictions", "405"},
                new String[] {"GET", "/missing", "404"});
        for (String[] c : calls) {
            HttpResponse<String> r = CascadeServerTest.HTTP.send(HttpRequest.newBuilder(uri(c[1]))
                    .method(c[0], HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type",
                            "application/json").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(Integer.parseInt(c[2]), r.statusCode(), c[0] + " " + c[1] + ": " + r.body());
            assertTrue(r.body().contains("\"failed\""), r.body());
        }
        Map<String, Double> after = counts();
        assertEquals(before.getOrDefault("not_found", 0.0) + 2, after.getOrDefault("not_found", 0.0));
        assertEquals(before.getOrDefault("method_not_allowed", 0.0) + 2, after.getOrDefault("method_not_allowed",
                0.0));
        for (String label : List.of("error", "bad_request")) {
            assertEquals(before.getOrDefault(label, 0.0), after.getOrDefault(label, 0.0), label + " changed");
        }
    }

    static Map<String, Double> counts() throws Exception {
        String metrics = CascadeServerTest.HTTP.send(HttpRequest.newBuilder(uri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> out = new java.util.HashMap<>();
        metrics.lines().filter(l -> l.startsWith("anchornet_requests_total{")).forEach(l -> {
            String label = l.substring(l.indexOf("outcome=\"") + 9, l.indexOf('"', l.indexOf("outcome=\"") + 9));
            out.put(label, Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)));
        });
        return out;
    }

    private static double count(String label) throws Exception {
        return counts().getOrDefault(label, 0.0);
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
