package org.anchornet.cli;

import com.google.gson.GsonBuilder;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.anchornet.data.ImageFolder;
import org.anchornet.io.AtomicFiles;
import org.anchornet.serve.LoadGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet load-test}: closed-loop load on a running server on this machine. */
@Command(name = "load-test", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Send images to a prediction server on this machine at several concurrency levels (each client"
                + " sends its next image when the previous answer arrives), bounded in requests and time; print"
                + " images/s and p50/p95/p99 latency per level. Only loopback addresses are allowed.")
final class LoadTestCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "The server (default"
            + " ${DEFAULT-VALUE}).")
    URI url;

    @Option(names = "--images", required = true, description = "A folder of images (searched recursively).")
    Path images;

    @Option(names = "--concurrency", defaultValue = "1,4,16,64", description = "Concurrency levels (default"
            + " ${DEFAULT-VALUE}).")
    String concurrency;

    @Option(names = "--requests", defaultValue = "256", converter = Converters.PositiveInt.class,
            description = "Requests per level at most (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--max-seconds", defaultValue = "120", description = "Seconds per level at most (default"
            + " ${DEFAULT-VALUE}).")
    double maxSeconds;

    @Option(names = "--warmup", defaultValue = "16", description = "Untimed requests first (default"
            + " ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", description = "Also write the results here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        List<byte[]> bytes = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(images)) {
            for (Path p : walk.filter(Files::isRegularFile).filter(ImageFolder::isImageFile).sorted().toList()) {
                bytes.add(Files.readAllBytes(p));
            }
        }
        LoadGenerator load = new LoadGenerator(url, bytes);
        PrintWriter out = spec.commandLine().getOut();
        if (warmup > 0) {
            load.run(Math.min(4, warmup), warmup, maxSeconds);
        }
        out.printf("%d images from %s against %s%n", bytes.size(), images, url);
        out.println("concurrency  requests  failed  images/s   p50 ms   p95 ms   p99 ms");
        List<LoadGenerator.Result> results = new ArrayList<>();
        for (int c : LoadGenerator.levels(concurrency)) {
            LoadGenerator.Result r = load.run(c, requests, maxSeconds);
            results.add(r);
            out.printf(Locale.ROOT, "%11d  %8d  %6d  %8.1f  %7.1f  %7.1f  %7.1f%n", c, r.requests(), r.failed(),
                    r.imagesPerSecond(), r.p50Millis(), r.p95Millis(), r.p99Millis());
            out.flush();
        }
        if (json != null) {
            AtomicFiles.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(results));
        }
        return 0;
    }
}
