package org.anchornet.serve;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A closed-loop load test of a prediction server on this machine: {@code concurrency} clients each send the next
 * image as soon as their previous answer arrives, until {@code requests} were sent or {@code maxSeconds} passed.
 * Reports throughput and latency percentiles. Refuses any address that is not loopback.
 */
public final class LoadGenerator {
    /** What one concurrency level measured. */
    public record Result(int concurrency, int requests, int ok, int failed, double seconds, double imagesPerSecond,
            double p50Millis, double p95Millis, double p99Millis) {}

    private final URI predictions;
    private final List<String> bodies;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /**
     * @param server e.g. {@code http://127.0.0.1:8080}
     * @param images the images to send, in turn (encoded once, as data URIs)
     */
    public LoadGenerator(URI server, List<byte[]> images) throws UnknownHostException {
        if (!InetAddress.getByName(server.getHost()).isLoopbackAddress()) {
            throw new IllegalArgumentException("load tests talk to this machine only; " + server.getHost()
                    + " is not a loopback address");
        }
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images to send");
        }
        this.predictions = server.resolve("/predictions");
        this.bodies = images.stream().map(b -> "{\"input\": {\"image\": \"data:image/png;base64,"
                + Base64.getEncoder().encodeToString(b) + "\"}}").toList();
    }

    public Result run(int concurrency, int requests, double maxSeconds) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        long deadline = start + (long) (maxSeconds * 1e9);
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < concurrency; c++) {
            clients.add(pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < requests && System.nanoTime() < deadline) {
                    HttpRequest request = HttpRequest.newBuilder(predictions).header("Content-Type",
                            "application/json").timeout(Duration.ofSeconds(120))
                            .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i % bodies.size()))).build();
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                            latencies.add((System.nanoTime() - t0) / 1e6);
                        } else {
                            failed.incrementAndGet();
                        }
                    } catch (java.io.IOException e) {
                        failed.incrementAndGet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }));
        }
        for (Future<?> f : clients) {
            try {
                f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - start) / 1e9;
        double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Result(concurrency, ok.get() + failed.get(), ok.get(), failed.get(), seconds, ok.get() / seconds,
                percentile(sorted, 0.50), percentile(sorted, 0.95), percentile(sorted, 0.99));
    }

    private static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    /** Concurrency levels from a comma list. */
    public static int[] levels(String list) {
        return Arrays.stream(list.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
    }
}
