package org.anchornet.serve;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.RgbImage;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.PredictionReport;
import org.anchornet.io.Messages;
import org.anchornet.model.TorchModule;
import org.anchornet.report.PredictionFigures;

/**
 * The cascade over HTTP (Javalin), in the shape of a Cog predictor: {@code POST /predictions} with {@code {"input":
 * {"image": "data:image/...;base64,..."}}}, {@code POST /classify} with a multipart upload, {@code GET /health-check},
 * {@code /openapi.json}, {@code /metrics} (Prometheus), and a web page at {@code /}. Requests are batched across
 * clients with early exit ({@link RequestBatcher}). Bad input is a 4xx JSON error; a full queue is 503 with
 * Retry-After; {@link #shutdown} stops taking requests, answers those in flight, then stops. It never fetches a URL.
 */
public final class CascadeServer implements AutoCloseable {
    /**
     * Where and how the server listens and batches, and what it allows a client.
     *
     * @param maxBodyBytes largest request body, counted on the bytes read whatever the transfer encoding
     * @param idleTimeoutMillis a connection that sends nothing for this long is closed (slow or stalled clients,
     *     partial headers); a stalled body is answered 408 first; a request being answered is not idle
     * @param minBodyBytesPerSecond a body that arrives slower than this on average is refused with 408, so that a
     *     client trickling a byte now and then cannot hold a thread until the idle timeout
     * @param maxConnections connections open at once; past it the server stops accepting until some close
     */
    public record Settings(String host, int port, RequestBatcher.Options batching, long maxBodyBytes,
            long requestTimeoutMillis, long idleTimeoutMillis, long minBodyBytesPerSecond, int maxConnections) {
        public Settings {
            if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 8 || requestTimeoutMillis < 1
                    || idleTimeoutMillis < 1 || minBodyBytesPerSecond < 0 || maxConnections < 1) {
                throw new IllegalArgumentException("the body limit must lie in [1 B, 2 GB), the timeouts and the"
                        + " connection limit be positive and the body rate not negative");
            }
        }

        /** With the default body rate and connection limit. */
        public Settings(String host, int port, RequestBatcher.Options batching, long maxBodyBytes,
                long requestTimeoutMillis, long idleTimeoutMillis) {
            this(host, port, batching, maxBodyBytes, requestTimeoutMillis, idleTimeoutMillis, DEFAULT_MIN_BODY_RATE,
                    DEFAULT_MAX_CONNECTIONS);
        }

        /**
         * 1 KB/s: a 20 MB body then may take 5.5 hours, and any real client sends far faster (a poor mobile link
         * moves tens of KB/s); trickling clients are refused within seconds of their first bytes.
         */
        public static final long DEFAULT_MIN_BODY_RATE = 1024;
        /** Every open connection may hold a thread while its body is read, so threads are sized from this. */
        public static final int DEFAULT_MAX_CONNECTIONS = 1024;

        public static Settings defaults() {
            return new Settings("127.0.0.1", 8080, new RequestBatcher.Options(32, 5, 256), 20L << 20, 60_000, 30_000);
        }
    }

    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();
    private static final String WEB = "/org/anchornet/serve/web";

    private final Cascade cascade;
    private final Settings settings;
    private final RequestBatcher batcher;
    private final ServeMetrics metrics;
    private final long fullMultiplyAdds;
    private final Javalin app;
    private final AtomicInteger inFlight = new AtomicInteger();
    // Requests to the classifying endpoints from the first handler to the last, refusals and errors included (so
    // every inFlight request too): shutdown waits for these, since inFlight starts only after the body is read and
    // decoded, and stopping Jetty under a request still being read or a 503 being written drops the connection.
    private final AtomicInteger handling = new AtomicInteger();
    private final AtomicLong received = new AtomicLong();
    private volatile boolean ready;
    private volatile boolean stopping;

    private CascadeServer(Cascade cascade, TorchModule fullNetwork, long fullMultiplyAdds, Settings settings) {
        this.cascade = cascade;
        this.settings = settings;
        this.fullMultiplyAdds = fullMultiplyAdds;
        RequestBatcher[] holder = new RequestBatcher[1];
        this.metrics = new ServeMetrics(fullMultiplyAdds, () -> holder[0] == null ? 0 : holder[0].queueDepth(),
                inFlight::get, () -> holder[0] == null ? null : holder[0].stageTimes());
        this.batcher = fullNetwork == null ? RequestBatcher.cascade(cascade, settings.batching(), metrics)
                : RequestBatcher.fullNetwork(cascade, fullNetwork, fullMultiplyAdds, settings.batching(), metrics);
        holder[0] = batcher;
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            ConnectionLimits.apply(config, settings);
            // Jetty's own stop-at-shutdown would drop connections on SIGTERM; shutdown() stops it after the drain
            config.jetty.modifyServer(jetty -> {
                jetty.setStopAtShutdown(false);
                // Jetty's graceful stop: a StatisticsHandler (Javalin nests its context inside) lets stop() wait,
                // up to the stop timeout, for requests whose responses are still being written; after-handlers run
                // before the response is flushed, so the handling counter alone could not cover that last step.
                jetty.setHandler(new org.eclipse.jetty.server.handler.StatisticsHandler());
                jetty.setStopTimeout(settings.requestTimeoutMillis());
            });
            config.http.maxRequestSize = settings.maxBodyBytes();
            config.http.prefer405over404 = true; // PUT /predictions is a wrong method, not a missing endpoint
            config.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = WEB;
                files.location = Location.CLASSPATH;
            });
        });
        routes();
    }

    /** Refuses a taken address in words (Jetty's own failure is masked by "STOPPED" from its stop on the way out). */
    private static void checkFree(String host, int port) {
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(new java.net.InetSocketAddress(host, port));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "); is another server on that port? Give --port another one, or 0 for a free one");
        }
    }

    /**
     * Starts serving a cascade: warms every stage up, then listens.
     *
     * @param fullNetwork the full-resolution network to serve instead (side-by-side load measurements), or null
     * @param fullMultiplyAdds its cost per image (the saving the metrics report is against it)
     */
    public static CascadeServer start(Cascade cascade, TorchModule fullNetwork, long fullMultiplyAdds,
            Settings settings) {
        checkFree(settings.host(), settings.port());
        CascadeServer server = new CascadeServer(cascade, fullNetwork, fullMultiplyAdds, settings);
        server.app.start(settings.host(), settings.port());
        for (org.eclipse.jetty.server.Connector c : server.app.jettyServer().server().getConnectors()) {
            if (c instanceof org.eclipse.jetty.server.AbstractConnector connector) {
                connector.setIdleTimeout(settings.idleTimeoutMillis());
            }
        }
        server.warmUp();
        server.metrics.startCounting();
        server.ready = true;
        return server;
    }

    public int port() {
        return app.port();
    }

    public boolean ready() {
        return ready && !stopping;
    }

    /** One batch through every stage, so that the first request does not pay for kernel creation. */
    private void warmUp() {
        int side = cascade.config().inputSize();
        try (NDManager m = NDManager.newBaseManager()) {
            cascade.trace(m.zeros(new Shape(2, 3, side, side)));
        }
        batcher.submit(new float[3 * side * side]).join();
    }

    private void routes() {
        for (String path : List.of("/predictions", "/classify")) {
            app.before(path, ctx -> {
                handling.incrementAndGet();
                received.incrementAndGet();
            });
            app.after(path, ctx -> handling.decrementAndGet()); // Javalin runs after-handlers after exceptions too
        }
        app.post("/predictions", this::predictions);
        app.post("/classify", this::classifyUpload);
        app.get("/health-check", ctx -> {
            String status = stopping ? "STOPPING" : ready ? "READY" : "STARTING";
            ctx.status(ready() ? 200 : 503).contentType("application/json").result(GSON.toJson(Map.of("status",
                    status)));
        });
        app.get("/openapi.json", ctx -> ctx.contentType("application/json").result(resource("openapi.json")));
        app.get("/metrics", ctx -> ctx.contentType(ServeMetrics.contentType()).result(metrics.scrape()));
        app.get("/api/info", ctx -> ctx.contentType("application/json").result(GSON.toJson(info())));
        app.get("/api/stats", ctx -> ctx.contentType("application/json").result(GSON.toJson(metrics.summary())));
        app.exception(ApiError.class, (e, ctx) -> fail(ctx, e.status, e.getMessage(), e.outcome));
        app.exception(HttpResponseException.class, (e, ctx) -> fail(ctx, e.getStatus(), e.getMessage(),
                ServeMetrics.Outcome.of(e.getStatus())));
        app.exception(Exception.class, (e, ctx) -> fail(ctx, 500, "internal error: " + e, ServeMetrics.Outcome.ERROR));
        app.error(404, ctx -> {
            if (ctx.res().isCommitted()) {
                return; // a refusal already written and sent (fail's direct path for bodies)
            }
            if (ctx.result() != null && !ctx.result().isEmpty() && ctx.res().getContentType() != null
                    && ctx.res().getContentType().startsWith("application/json")) {
                return;
            }
            fail(ctx, 404, "no such endpoint: " + ctx.method() + " " + ctx.path(), null);
        });
    }

    private void fail(Context ctx, int status, String message, ServeMetrics.Outcome outcome) {
        if (outcome != null) {
            metrics.request(outcome);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "failed");
        body.put("error", message);
        if (ctx.method().name().equals("GET")) {
            ctx.status(status).contentType("application/json").result(GSON.toJson(body));
            return;
        }
        ClosingAnswer.send(ctx, status, GSON.toJson(body));
    }

    private void predictions(Context ctx) throws Exception {
        checkBody(ctx);
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        if (!type.startsWith("application/json")) {
            throw new ApiError(415, "POST /predictions takes application/json ({\"input\": {\"image\":"
                    + " \"data:image/png;base64,...\"}}), got " + (type.isEmpty() ? "no content type" : type)
                    + "; upload files to POST /classify");
        }
        JsonObject input;
        try {
            JsonElement body = JsonParser.parseString(new String(RequestBodies.bounded(ctx, settings.maxBodyBytes()), StandardCharsets.UTF_8));
            if (!body.isJsonObject() || !body.getAsJsonObject().has("input")
                    || !body.getAsJsonObject().get("input").isJsonObject()) {
                throw new ApiError(400, "the body needs an \"input\" object: {\"input\": {\"image\": \"data:...\"}}");
            }
            input = body.getAsJsonObject().getAsJsonObject("input");
        } catch (JsonParseException e) {
            throw new ApiError(400, "malformed JSON: " + Messages.rootMessage(e));
        }
        JsonElement image = input.get("image");
        if (image == null || !image.isJsonPrimitive() || !image.getAsJsonPrimitive().isString()) {
            throw new ApiError(400, "\"input.image\" is required: a data URI or base64 string of the image");
        }
        answer(ctx, RequestBodies.imageBytes(image.getAsString()), "input.image");
    }

    private void classifyUpload(Context ctx) throws Exception {
        checkBody(ctx);
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        if (!type.startsWith("multipart/form-data")) {
            throw new ApiError(415, "POST /classify takes multipart/form-data with an \"image\" file (curl -F"
                    + " image=@file.png), got " + (type.isEmpty() ? "no content type" : type));
        }
        RequestBodies.Upload file = RequestBodies.uploadedImage(ctx, settings.maxBodyBytes());
        if (file == null) {
            throw new ApiError(400, "the form needs an \"image\" file field");
        }
        answer(ctx, file.bytes(), file.fileName() != null ? file.fileName() : "image");
    }

    private void checkBody(Context ctx) {
        if (stopping) {
            throw new ApiError(503, "the server is shutting down", ServeMetrics.Outcome.UNAVAILABLE);
        }
        // the long form: the servlet's int form is -1 above 2 GB, which would skip the check
        long length = ctx.req().getContentLengthLong();
        if (length > settings.maxBodyBytes()) {
            throw RequestBodies.tooLarge("the body declares " + length + " bytes, more", settings.maxBodyBytes());
        }
    }

    private void answer(Context ctx, byte[] bytes, String name) throws Exception {
        long t0 = System.nanoTime();
        RgbImage image;
        float[] input;
        try {
            image = ImageDecoder.decode(bytes, name);
            input = cascade.preprocess(image);
            metrics.decoded((System.nanoTime() - t0) / 1e9);
        } catch (ImageDecoder.BadImageException e) {
            throw new ApiError(400, e.getMessage());
        } catch (org.anchornet.data.Transforms.ImageTooLargeException e) {
            throw new ApiError(400, name + ": " + e.getMessage());
        }
        inFlight.incrementAndGet();
        try {
            Prediction p;
            try {
                p = batcher.submit(input).get(settings.requestTimeoutMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RequestBatcher.OverloadedException e) {
                ctx.header("Retry-After", "1");
                throw new ApiError(503, e.getMessage(), ServeMetrics.Outcome.OVERLOADED);
            } catch (IllegalStateException e) {
                throw new ApiError(503, e.getMessage(), ServeMetrics.Outcome.UNAVAILABLE);
            } catch (TimeoutException e) {
                throw new ApiError(503, "no answer within " + settings.requestTimeoutMillis() + " ms",
                        ServeMetrics.Outcome.UNAVAILABLE);
            } catch (ExecutionException e) {
                throw new IllegalStateException("classification failed: " + e.getCause(), e.getCause());
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "succeeded");
            PredictionReport report = PredictionReport.of(name, p, cascade.config());
            if ("1".equals(ctx.queryParam("figures")) || "true".equals(ctx.queryParam("figures"))) {
                body.put("output", withFigures(report, image, p));
            } else {
                body.put("output", report);
            }
            metrics.request(ServeMetrics.Outcome.OK);
            metrics.answered(p, (System.nanoTime() - t0) / 1e9);
            ctx.contentType("application/json").result(GSON.toJson(body));
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private Map<String, Object> withFigures(PredictionReport report, RgbImage image, Prediction p) throws IOException {
        Map<String, Object> out = GSON.fromJson(GSON.toJson(report), Map.class);
        out.put("figures", PredictionFigures.dataUris(cascade.config().evaluationImage(image), p, report, cascade.config()));
        out.put("full_network_gmacs", fullMultiplyAdds / 1e9);
        return out;
    }

    private Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("arch", cascade.config().arch());
        m.put("classes", cascade.config().classes());
        m.put("input_size", cascade.config().inputSize());
        m.put("stages", cascade.config().stages());
        m.put("stage_gmacs", cascade.config().stageCosts().stream().map(c -> c / 1e9).toList());
        m.put("full_network_gmacs", fullMultiplyAdds / 1e9);
        m.put("thresholds", cascade.config().thresholds());
        m.put("answer", cascade.config().exitThresholds().answer().key());
        return m;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = CascadeServer.class.getResourceAsStream("/org/anchornet/serve/" + name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }


    /**
     * Stops taking requests (they get 503), answers every request in flight, then stops the HTTP server; waits at
     * most {@code graceMillis}.
     */
    public void shutdown(long graceMillis) throws InterruptedException {
        stopping = true;
        long deadline = System.currentTimeMillis() + graceMillis;
        batcher.drain(graceMillis);
        while (handling.get() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        app.stop();
    }

    /** Requests the classifying endpoints have begun to handle since the start (for tests of the shutdown). */
    long requestsReceived() {
        return received.get();
    }

    /** Requests to the classifying endpoints being handled now, refusals included. */
    int requestsBeingHandled() {
        return handling.get();
    }

    @Override
    public void close() throws InterruptedException {
        shutdown(settings.requestTimeoutMillis());
    }

    /** The names of the server's endpoints, for its help. */
    public static List<String> endpoints() {
        return List.of("POST /predictions", "POST /classify", "GET /health-check", "GET /openapi.json",
                "GET /metrics", "GET /");
    }
}
