package org.anchornet.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.StageTimes;

/**
 * The server's Prometheus metrics (text format at {@code /metrics}): requests by outcome, exits per stage,
 * multiply-adds spent and saved against the full-resolution network, request latency, images per stage batch, and
 * the queue depth. Also the few numbers the web page shows.
 */
final class ServeMetrics implements RequestBatcher.Listener {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests;
    private final Counter exits;
    private final Counter spent;
    private final Counter saved;
    private final Histogram latency;
    private final Histogram batches;
    private final Histogram decoding;
    private final Histogram patchPasses;
    private final long fullMultiplyAdds;
    private final Supplier<StageTimes> stageTimes;
    private volatile StageTimes.Snapshot countedFrom;
    private volatile boolean counting;

    /**
     * @param stageTimes the batcher's stage clock (null until the batcher exists; the warm-up before {@link
     *     #startCounting} does not count)
     */
    ServeMetrics(long fullMultiplyAdds, IntSupplier queueDepth, IntSupplier inFlight,
            Supplier<StageTimes> stageTimes) {
        this.fullMultiplyAdds = fullMultiplyAdds;
        this.stageTimes = stageTimes;
        requests = Counter.builder().name("anchornet_requests_total").help("Requests by outcome")
                .labelNames("outcome").register(registry);
        exits = Counter.builder().name("anchornet_exits_total").help("Images by the stage they left at (1 = glance)")
                .labelNames("stage").register(registry);
        spent = Counter.builder().name("anchornet_multiply_adds_spent_total")
                .help("Multiply-adds the answered images cost").register(registry);
        saved = Counter.builder().name("anchornet_multiply_adds_saved_total")
                .help("Multiply-adds saved against running the full-resolution network on each answered image")
                .register(registry);
        latency = Histogram.builder().name("anchornet_request_seconds").help("Time from receiving an image to its"
                + " answer").classicOnly().classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
                .labelNames("exit_stage").register(registry);
        batches = Histogram.builder().name("anchornet_stage_batch_images").help("Images per batch a stage ran on")
                .classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128).labelNames("stage").register(registry);
        patchPasses = Histogram.builder().name("anchornet_patch_pass_images").help("Windows per pass of the patch"
                + " network: the later stages' images together, with any windows computed ahead").classicOnly()
                .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128).register(registry);
        decoding = Histogram.builder().name("anchornet_decode_seconds").help("Decoding and preprocessing one image,"
                + " on the request's thread").classicOnly()
                .classicUpperBounds(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25).register(registry);
        CounterWithCallback.builder().name("anchornet_stage_seconds").help("Worker time by stage (1 = glance) and"
                + " part: network, prepare (resize or crop), anchornet, proposal, readout, carry")
                .labelNames("stage", "part").callback(cb -> {
                    StageTimes.Snapshot span = span();
                    if (span != null) {
                        for (StageTimes.Stage st : span.stages()) {
                            for (StageTimes.Part part : StageTimes.Part.values()) {
                                cb.call(st.nanos(part) / 1e9, Integer.toString(st.stage()),
                                        part.name().toLowerCase(java.util.Locale.ROOT));
                            }
                        }
                    }
                }).register(registry);
        CounterWithCallback.builder().name("anchornet_stage_network_images").help("Images each stage's network ran"
                + " on (with anchornet_stage_seconds{part=\"network\"}: time per image)").labelNames("stage")
                .callback(cb -> {
                    StageTimes.Snapshot span = span();
                    if (span != null) {
                        span.stages().forEach(st -> cb.call(st.images(), Integer.toString(st.stage())));
                    }
                }).register(registry);
        GaugeWithCallback.builder().name("anchornet_queue_depth").help("Images waiting for their first stage")
                .callback(cb -> cb.call(queueDepth.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("anchornet_requests_in_flight").help("Requests decoded and not yet answered")
                .callback(cb -> cb.call(inFlight.getAsInt())).register(registry);
    }

    /** Outcomes of requests, as the {@code outcome} label says them. */
    enum Outcome {
        /** Client mistakes each have their own label, apart from the server's own errors. */
        OK, BAD_REQUEST, NOT_FOUND, METHOD_NOT_ALLOWED, TIMEOUT, OVERLOADED, UNAVAILABLE, ERROR;

        /** The outcome of an HTTP status that Javalin or Jetty answered for us. */
        static Outcome of(int status) {
            return switch (status) {
                case 404 -> NOT_FOUND;
                case 405 -> METHOD_NOT_ALLOWED;
                case 408 -> TIMEOUT;
                case 503 -> UNAVAILABLE;
                default -> status >= 500 ? ERROR : BAD_REQUEST;
            };
        }

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    void request(Outcome outcome) {
        requests.labelValues(outcome.label()).inc();
    }

    void answered(Prediction p, double seconds) {
        spent.inc(p.multiplyAdds());
        saved.inc(Math.max(0, fullMultiplyAdds - p.multiplyAdds()));
        latency.labelValues(Integer.toString(p.exitStage())).observe(seconds);
    }

    /** From now on the batcher's work counts (the warm-up before it does not). */
    void startCounting() {
        StageTimes times = stageTimes.get();
        countedFrom = times == null ? null : times.snapshot();
        counting = true;
    }

    /** The stage clock since counting started, or null before. */
    private StageTimes.Snapshot span() {
        StageTimes times = stageTimes.get();
        StageTimes.Snapshot from = countedFrom;
        return counting && times != null && from != null ? times.snapshot().minus(from) : null;
    }

    void decoded(double seconds) {
        decoding.observe(seconds);
    }

    @Override
    public void batch(int stage, int images) {
        if (!counting) {
            return;
        }
        batches.labelValues(Integer.toString(stage + 1)).observe(images);
    }

    @Override
    public void patchPass(int images) {
        if (counting) {
            patchPasses.observe(images);
        }
    }

    @Override
    public void exited(int stage) {
        if (!counting) {
            return;
        }
        exits.labelValues(Integer.toString(stage)).inc();
    }

    /** The text exposition format. */
    String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    /** Totals for the web page: requests answered, exits per stage, multiply-adds spent and saved. */
    Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("answered", requests.labelValues(Outcome.OK.label()).get());
        m.put("refused", requests.labelValues(Outcome.BAD_REQUEST.label()).get()
                + requests.labelValues(Outcome.OVERLOADED.label()).get());
        Map<String, Double> perStage = new LinkedHashMap<>();
        exits.collect().getDataPoints().forEach(d -> perStage.put(d.getLabels().get("stage"), d.getValue()));
        m.put("exits_per_stage", perStage);
        m.put("gmacs_spent", spent.get() / 1e9);
        m.put("gmacs_saved", saved.get() / 1e9);
        StageTimes.Snapshot span = span();
        if (span != null) {
            Map<String, Double> networkMs = new LinkedHashMap<>();
            span.stages().forEach(st -> networkMs.put(Integer.toString(st.stage()), st.images() == 0 ? 0
                    : st.nanos(StageTimes.Part.NETWORK) / 1e6 / st.images()));
            m.put("network_ms_per_image", networkMs);
        }
        return m;
    }
}
