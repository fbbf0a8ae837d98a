package org.anchornet.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.anchornet.engine.Cascade;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;
import org.anchornet.model.TorchModule;
import org.anchornet.serve.CascadeServer;
import org.anchornet.serve.RequestBatcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet serve}: the cascade over HTTP, with a web page. */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a cascade package over HTTP: POST /predictions ({\"input\": {\"image\": \"data:...\"}},"
                + " Cog's shape), POST /classify (multipart upload), GET /health-check, /openapi.json, /metrics"
                + " (Prometheus), and a web page at /. Concurrent requests are batched with early exit across them.",
            "SIGTERM stops taking requests, answers those in flight, then exits."})
final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--cascade", required = true, paramLabel = "PACKAGE", description = "The cascade package.")
    Path cascadePath;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default"
            + " ${DEFAULT-VALUE}: this machine only).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free"
            + " one).")
    int port;

    @Option(names = "--max-batch", defaultValue = "32", converter = Converters.PositiveInt.class,
            description = "Images per stage batch at most (default ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-wait-ms", defaultValue = "5", description = "How long a batch waits for more images"
            + " (default ${DEFAULT-VALUE} ms).")
    long maxWait;

    @Option(names = "--stage-wait-ms", description = "How long survivors wait past the glance for a fuller pass of"
            + " the patch network (the later stages run it together) while requests keep arriving (default:"
            + " --max-wait-ms).")
    Long stageWait;

    @Option(names = "--run-ahead", defaultValue = "1", converter = Converters.PositiveInt.class,
            description = "Windows per image in a pass of the patch network while no request waits: more answer a lone"
            + " request in fewer passes, at the cost of windows it may leave before needing (default ${DEFAULT-VALUE};"
            + " a lone image always takes its next window, which costs nothing extra).")
    int runAhead;

    @Option(names = "--queue", defaultValue = "256", converter = Converters.PositiveInt.class,
            description = "Images that may wait before requests get 503 (default ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--max-body-mb", defaultValue = "20", converter = Converters.PositiveInt.class,
            description = "Largest request body in MB (default ${DEFAULT-VALUE}).")
    int maxBodyMb;

    @Option(names = "--idle-timeout-s", defaultValue = "30", converter = Converters.PositiveInt.class,
            description = "Close a connection that sends nothing for this many seconds: stalled clients and partial"
                    + " headers (default ${DEFAULT-VALUE}).")
    int idleTimeoutSeconds;

    @Option(names = "--full-network", paramLabel = "CHECKPOINT", description = "Serve this full-resolution network"
            + " (the cascade's architecture and preprocessing) instead of the cascade, for load comparisons.")
    Path fullNetwork;

    @Override
    public Integer call() throws Exception {
        if (maxWait < 0) {
            throw new IllegalArgumentException("--max-wait-ms cannot be negative");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Cascade cascade = Cascade.load(cascadePath); NDManager manager = NDManager.newBaseManager()) {
            TorchModule full = fullNetwork == null ? null : Architectures.get(cascade.config().arch())
                    .loadForInference(manager, cascade.config().numClasses(), fullNetwork);
            long fullCost = CostCounter.count(full != null ? full : Architectures.get(cascade.config().arch())
                    .create(manager, cascade.config().numClasses(), 0), cascade.config().inputSize()).multiplyAdds();
            CascadeServer.Settings settings = new CascadeServer.Settings(host, port, new RequestBatcher.Options(
                    maxBatch, maxWait, queue, stageWait != null ? stageWait : maxWait, runAhead),
                    (long) maxBodyMb << 20, 60_000, idleTimeoutSeconds * 1000L);
            CascadeServer server = CascadeServer.start(cascade, full, fullCost, settings);
            CountDownLatch stopRequested = new CountDownLatch(1);
            onTermination(stopRequested::countDown);
            out.printf("serving %s on http://%s:%d/ (%s); ready%n", full != null ? "the full-resolution "
                    + cascade.config().arch() : cascadePath, host, server.port(), String.join(", ",
                    CascadeServer.endpoints()));
            out.flush();
            stopRequested.await();
            // drained here, on the main thread, so that a clean stop exits 0 rather than as killed by the signal
            server.shutdown(30_000);
            out.println("stopped after answering every request in flight");
            out.flush();
        }
        return 0;
    }

    /**
     * Runs {@code stop} on SIGTERM or SIGINT instead of letting the JVM go down with them. The JDK has no public API
     * for this; {@code sun.misc.Signal} (module jdk.unsupported) is the supported way servers do it.
     */
    @SuppressWarnings("removal")
    private static void onTermination(Runnable stop) {
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stop.run());
        }
    }
}
