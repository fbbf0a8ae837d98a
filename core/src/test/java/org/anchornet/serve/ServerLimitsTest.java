package org.anchornet.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limits as a hostile client meets them, on loopback, bounded in bytes and time: bodies over the limit however they
 * are sent (chunked, a Content-Length past 2^31) are refused without being read, malformed forms are 4xx, and
 * stalled connections are closed; the server answers good requests throughout. Bodies are streamed, never held.
 */
class ServerLimitsTest {
    private static final int LIMIT = 1 << 20;
    private static final long IDLE_MILLIS = 1500;
    /**
     * What a client may push before it sees the refusal: the limit plus what loopback sockets buffer unread (Linux
     * autotunes a receive buffer up to tcp_rmem's 32 MB, plus 4 MB of send buffer), with room. A server that read on
     * takes the whole stream.
     */
    private static final long MOST_SENT = LIMIT + (48L << 20);

    @TempDir static Path tmp;
    static ServeTesting.Limited running;
    static CascadeServer server;
    static byte[] goodImage;

    @BeforeAll
    static void start() throws Exception {
        running = ServeTesting.startLimited(tmp, LIMIT, IDLE_MILLIS);
        server = running.server();
        goodImage = running.goodImage();
    }

    @AfterAll
    static void stop() throws Exception {
        if (running != null) {
            running.close();
        }
    }

    /** What a raw request got: the status line, and how many body bytes the client managed to send. */
    private record Sent(String statusLine, long bodyBytesSent) {}

    /**
     * Sends headers, then streams {@code total} bytes of a JSON-looking body (chunked when {@code chunked}) from a
     * second thread while this one waits for the answer; stops writing when the server closes the connection.
     */
    private static Sent stream(String path, String contentType, String lengthHeader, boolean chunked, long total)
            throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            String head = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType + "\r\n"
                    + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + lengthHeader + "\r\n")
                    + "\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            AtomicLong sent = new AtomicLong();
            Thread writer = new Thread(() -> {
                byte[] block = new byte[64 << 10];
                Arrays.fill(block, (byte) 'A');
                byte[] prefix = "{\"input\": {\"image\": \"".getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(prefix, 0, block, 0, prefix.length);
                try {
                    while (sent.get() < total) {
                        if (chunked) {
                            out.write((Integer.toHexString(block.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        }
                        out.write(block);
                        if (chunked) {
                            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                        sent.addAndGet(block.length);
                        Arrays.fill(block, 0, prefix.length, (byte) 'A');
                    }
                } catch (IOException closedByTheServer) {
                    // expected: the server answered and closed the connection without reading the rest
                }
            });
            writer.setDaemon(true);
            writer.start();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1));
            String status = in.readLine();
            long sentAtAnswer = sent.get();
            socket.close(); // the writer stops at its next write
            writer.join(10_000);
            return new Sent(status, sentAtAnswer);
        }
    }

    @Test
    void aChunkedBodyPastTheLimitIs413WithoutReadingTheRest() throws Exception {
        Sent r = stream("/predictions", "application/json", null, true, 400L << 20);
        assertTrue(r.statusLine() != null && r.statusLine().contains(" 413"), "status: " + r.statusLine());
        assertTrue(r.bodyBytesSent() < MOST_SENT, "the client pushed " + r.bodyBytesSent() + " bytes before the"
                + " answer: the server kept reading past its limit");
        assertGoodRequestsStillAnswered();
    }

    @Test
    void aChunkedBodyMalformedEarlyAndPastTheLimitIsAClientErrorNotA500() throws Exception {
        double errorsBefore = serverErrors();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /predictions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 << 10];
            Arrays.fill(chunk, (byte) '}');
            try {
                for (int i = 0; i < (2 * LIMIT) / chunk.length; i++) {
                    out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(chunk);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            } catch (IOException closedByTheServer) {
                // answered and closed before the rest
            }
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.ISO_8859_1)).readLine();
            assertTrue(status != null && status.matches("HTTP/1.1 4(00|13) .*"), "status: " + status);
        }
        assertEquals(errorsBefore, serverErrors());
        assertGoodRequestsStillAnswered();
    }

    @Test
    void aContentLengthPast2GbIs413BeforeAnyBodyIsRead() throws Exception {
        Sent r = stream("/predictions", "application/json", "99999999999", false, 300L << 20);
        assertTrue(r.statusLine() != null && r.statusLine().contains(" 413"), "status: " + r.statusLine());
        assertTrue(r.bodyBytesSent() < MOST_SENT, "the client pushed " + r.bodyBytesSent() + " bytes");
        assertGoodRequestsStillAnswered();
    }

    @Test
    void aChunkedUploadPastTheLimitIs413() throws Exception {
        Sent r = stream("/classify", "multipart/form-data; boundary=XyZ", null, true, 200L << 20);
        assertTrue(r.statusLine() != null && r.statusLine().matches("HTTP/1.1 4\\d\\d .*"), "status: "
                + r.statusLine());
        assertTrue(r.bodyBytesSent() < MOST_SENT, "the client pushed " + r.bodyBytesSent() + " bytes");
    }

    @Test
    void aThinImageThatWouldResizeToBillionsOfPixelsIs400() throws Exception {
        double errorsBefore = serverErrors();
        for (int[] size : new int[][] {{30000, 1}, {1, 30000}}) {
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(size[0], size[1],
                    java.awt.image.BufferedImage.TYPE_INT_RGB), "png", png);
            HttpResponse<String> r = CascadeServerTest.HTTP.send(HttpRequest.newBuilder(uri("/predictions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            CascadeServerTest.predictionBody(png.toByteArray()))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("more than the"), r.body());
        }
        assertEquals(errorsBefore, serverErrors());
        assertGoodRequestsStillAnswered();
    }

    @Test
    void malformedMultipartIsA400NotAServerError() throws Exception {
        double errorsBefore = serverErrors();
        for (String type : List.of("multipart/form-data", "multipart/form-data; boundary=nothere")) {
            HttpResponse<String> r = CascadeServerTest.HTTP.send(HttpRequest.newBuilder(uri("/classify"))
                    .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofString("abc")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode(), type + ": " + r.body());
            assertTrue(r.body().contains("multipart"), r.body());
        }
        assertEquals(errorsBefore, serverErrors(), "a client's malformed form is not counted as a server error");
        assertGoodRequestsStillAnswered();
    }

    @Test
    void stalledConnectionsWithPartialHeadersAreClosed() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.getOutputStream().write("POST /predictions HTTP/1.1\r\nHost: 127.0.0".getBytes(
                        StandardCharsets.US_ASCII));
                s.setSoTimeout((int) (IDLE_MILLIS + 5_000));
                stalled.add(s);
            }
            assertGoodRequestsStillAnswered();
            for (Socket s : stalled) {
                InputStream in = s.getInputStream();
                try {
                    while (in.read() >= 0) {
                        // an error page, if any, before the close
                    }
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("a connection with partial headers was still open "
                            + (IDLE_MILLIS + 5_000) + " ms later", e);
                } catch (IOException reset) {
                    // closed: what we wanted
                }
            }
        } finally {
            for (Socket s : stalled) {
                s.close();
            }
        }
    }

    private static void assertGoodRequestsStillAnswered() throws Exception {
        HttpResponse<String> ok = CascadeServerTest.HTTP.send(HttpRequest.newBuilder(uri("/predictions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        CascadeServerTest.predictionBody(goodImage))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("\"succeeded\""), ok.body());
    }

    private static double serverErrors() throws Exception {
        String metrics = CascadeServerTest.HTTP.send(HttpRequest.newBuilder(uri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("anchornet_requests_total") && l.contains("outcome=\"error\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
