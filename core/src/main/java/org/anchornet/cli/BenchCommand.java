package org.anchornet.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.RgbImage;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.EngineBenchmark;
import org.anchornet.engine.StageTimeReport;
import org.anchornet.engine.StageTimesFile;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitTable;
import org.anchornet.io.AtomicFiles;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;
import org.anchornet.model.TorchModule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import org.anchornet.data.Transforms;

/** {@code anchornet bench}: the early-exit engine against the full-resolution network, measured. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time the early-exit engine and the full-resolution network on the same images, batch size and"
                + " threads; print images/s, multiply-adds per image, the speedup and its share of the multiply-add"
                + " ratio.",
            "With --replay-table, images leave where the table says at --thresholds, with random weights: the engine's"
                    + " real speed at a published operating point, without the trained networks."})
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DataOptions data;
    @Mixin CascadeOptions cascade;

    @Option(names = "--replay-table", description = "Replay the exits of this table's first --images rows.")
    Path replayTable;

    @Option(names = "--baseline-pretrained", description = "Full-resolution network weights (default: random"
            + " weights of the downstream architecture; the time does not depend on them).")
    Path baseline;

    @Option(names = "--split", defaultValue = "test", description = "The split of --data to time on: test or val"
            + " (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--images", defaultValue = "256", converter = Converters.PositiveInt.class,
            description = "Images to time (default ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--batch-size", defaultValue = "32", converter = Converters.PositiveInt.class,
            description = "Batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--rounds", defaultValue = "2", converter = Converters.PositiveInt.class,
            description = "Timed passes per side; the fastest counts (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--json", description = "Also write the figures to this JSON file.")
    Path json;

    @Option(names = "--stage-times", paramLabel = "FILE", description = "Also time every image through every stage"
            + " and write each stage's cost per image in milliseconds on this machine, for thresholds fit under a"
            + " time budget (fit-thresholds --budget-ms).")
    Path stageTimes;

    /** Reading, decoding and preprocessing one image of the split, before either side's timing (null: none read). */
    private Double decodeMs;

    /**
     * What is timed: a cascade (loaded, or of random networks when replaying a table), the baseline, the batches both
     * see, and the stage each image leaves at when replaying (null: the cascade's thresholds decide).
     */
    private record Setup(Cascade cascade, TorchModule baseline, long baselineMultiplyAdds, List<NDArray> batches,
            int[] replayedExits) {
        EngineBenchmark.Result time(int rounds) {
            return replayedExits == null ? cascade.benchmark(baseline, batches, baselineMultiplyAdds, rounds)
                    : cascade.benchmarkReplaying(replayedExits, baseline, batches, baselineMultiplyAdds, rounds);
        }

        /** The result, and each stage's measured time when asked for (written to {@code file}). */
        EngineBenchmark.Result time(int rounds, Path file, PrintWriter out) throws IOException {
            EngineBenchmark.Result result = time(rounds);
            if (file != null) {
                StageTimesFile times = StageTimesFile.of(cascade.timeEveryStage(batches, rounds), cascade.config(),
                        org.anchornet.io.CpuInfo.describe(), Runtime.getRuntime().availableProcessors(),
                        (int) batches.get(0).getShape().get(0), 1e3 / result.baselineImagesPerSecond());
                times.write(file);
                StringBuilder ms = new StringBuilder();
                for (double t : times.msPerImage()) {
                    ms.append(String.format(Locale.ROOT, " %.2f", t));
                }
                out.printf(Locale.ROOT, "every image through every stage: leaving after stage j costs%s ms per image"
                        + " (full network %.2f); wrote %s%n", ms, times.fullNetworkMs(), file);
            }
            return result;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (images < batchSize) {
            throw new IllegalArgumentException("--images must be at least --batch-size");
        }
        int usable = images / batchSize * batchSize;
        EngineBenchmark.Result result;
        try (NDManager manager = NDManager.newBaseManager()) {
            if (replayTable != null) {
                ExitTable table = ExitTable.read(replayTable);
                try (Cascade c = Cascade.withRandomWeights(replayConfig(table))) {
                    result = replaySetup(c, table, manager, usable).time(rounds, stageTimes,
                            spec.commandLine().getOut());
                }
            } else {
                try (Cascade c = cascade.open(null, data.generated(), true)) {
                    result = cascadeSetup(c, manager, usable).time(rounds, stageTimes, spec.commandLine().getOut());
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        print(out, result);
        com.google.gson.Gson gson = new GsonBuilder().setPrettyPrinting().create();
        com.google.gson.JsonObject figures = gson.toJsonTree(result).getAsJsonObject();
        if (decodeMs != null) {
            out.printf(Locale.ROOT, "reading and preprocessing (before both timings): %.2f ms/image%n", decodeMs);
            figures.addProperty("decode_ms_per_image", decodeMs);
        }
        out.flush();
        if (json != null) {
            AtomicFiles.writeString(json, gson.toJson(figures));
        }
        return 0;
    }

    /** The trained cascade on the first test images (cycled when there are fewer). */
    private Setup cascadeSetup(Cascade c, NDManager manager, int usable) throws IOException {
        if (!split.equals("test") && !split.equals("val")) {
            throw new IllegalArgumentException("--split must be test or val, got " + split);
        }
        ImageDataset source = data.split(split);
        // preprocessed as they are read (a folder of photos would not fit in memory decoded); damaged images and
        // images the cascade refuses are left out, as classify counts them
        List<float[]> readable = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < source.size() && readable.size() < usable; i++) {
            try {
                readable.add(c.preprocess(source.load(i).image()));
            } catch (org.anchornet.data.ImageDecoder.BadImageException | Transforms.ImageTooLargeException e) {
                spec.commandLine().getErr().println("skipping " + e.getMessage());
            }
        }
        if (readable.isEmpty()) {
            throw new IllegalArgumentException("no readable image in the " + split + " split to time");
        }
        decodeMs = (System.nanoTime() - start) / 1e6 / readable.size();
        List<NDArray> batches = new ArrayList<>();
        for (int b = 0; b < usable / batchSize; b++) {
            List<float[]> images = new ArrayList<>();
            for (int i = 0; i < batchSize; i++) {
                images.add(readable.get((b * batchSize + i) % readable.size()));
            }
            batches.add(org.anchornet.data.ImageBatch.pack(images, c.config().inputSize()).toNDArray(manager));
        }
        return setup(c, manager, batches, null);
    }

    /** The random-weight cascade a table is replayed on: the table's network and windows, the options' sizes. */
    private CascadeConfig replayConfig(ExitTable table) {
        if (cascade.fromPackage()) {
            throw new IllegalArgumentException("--replay-table runs random weights; it takes no --cascade");
        }
        String arch = cascade.arch != null ? cascade.arch
                : table.metadata().arch().orElse(Architectures.REFERENCE_DOWNSTREAM);
        int classes = cascade.numClasses != null ? cascade.numClasses : 1000;
        List<Double> ious = table.metadata().iouThresholdsOrFromSetup()
                .orElseGet(() -> cascade.ious(table.stages() - 1));
        return CascadeConfig.builder().arch(arch)
                .classes(java.util.stream.IntStream.range(0, classes).mapToObj(c -> "class " + c).toList())
                .inputSize(cascade.inputSize != null ? cascade.inputSize : Transforms.DEFAULT_INPUT_SIZE).topK(ious.size() + 1)
                .iouThresholds(ious).build();
    }

    /** Random networks that take the exits a table records at the given thresholds. */
    private Setup replaySetup(Cascade c, ExitTable table, NDManager manager, int usable) throws IOException {
        ExitThresholds thresholds = cascade.thresholds();
        if (thresholds == null || thresholds.stages() != table.stages()) {
            throw new IllegalArgumentException("--replay-table needs --thresholds, one per table stage ("
                    + table.stages() + ")");
        }
        if (table.images() < usable) {
            throw new IllegalArgumentException("the table has only " + table.images() + " images");
        }
        int[] exits = new int[usable];
        for (int i = 0; i < usable; i++) {
            final int row = i;
            exits[i] = ExitRule.exitStage(s -> table.confidence(s, row), thresholds) + 1;
        }
        int side = c.config().inputSize();
        List<NDArray> batches = new ArrayList<>();
        for (int b = 0; b < usable / batchSize; b++) {
            batches.add(manager.randomNormal(new Shape(batchSize, 3, side, side)));
        }
        return setup(c, manager, batches, exits);
    }

    /** With the full-resolution network: given weights, or random ones (the time does not depend on them). */
    private Setup setup(Cascade c, NDManager manager, List<NDArray> batches, int[] replayedExits) throws IOException {
        CascadeConfig config = c.config();
        TorchModule full = baseline != null
                ? Architectures.get(config.arch()).loadForInference(manager, config.numClasses(), baseline)
                : Architectures.get(config.arch()).create(manager, config.numClasses(), 4).foldBatchNormsInPlace();
        c.useChunks(batchSize);
        return new Setup(c, full, CostCounter.count(full, config.inputSize()).multiplyAdds(), batches, replayedExits);
    }

    static void print(PrintWriter out, EngineBenchmark.Result r) {
        out.printf(Locale.ROOT, "%d images, batch %d, %d threads%n", r.images(), r.batchSize(),
                Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "early-exit engine: %8.1f images/s  %.4f G multiply-adds per image%n",
                r.engineImagesPerSecond(), r.engineMultiplyAdds() / 1e9);
        out.printf(Locale.ROOT, "full resolution:   %8.1f images/s  %.4f G multiply-adds per image%n",
                r.baselineImagesPerSecond(), r.baselineMultiplyAdds() / 1e9);
        StringBuilder calls = new StringBuilder();
        for (long c : r.stageCalls()) {
            calls.append(' ').append(c);
        }
        out.printf(Locale.ROOT, "images per stage:%s; AnchorNet ran on %d%n", calls, r.anchorCalls());
        out.printf(Locale.ROOT, "speedup %.2f× measured, %.2f× by multiply-adds: %.0f%% of the arithmetic saving became"
                + " time%n", r.speedup(), r.multiplyAddRatio(), 100 * r.efficiency());
        if (r.stageTimes() != null) {
            printStageTimes(out, r.stageTimes());
        }
        out.flush();
    }

    /** Where the engine's time went (its fastest pass): per stage, then by part. */
    static void printStageTimes(PrintWriter out, StageTimeReport t) {
        out.printf(Locale.ROOT, "where the time went (full network's forward: %.1f G multiply-adds/s):%n",
                t.baselineMultiplyAddsPerSecond() / 1e9);
        out.println("  stage  images  batches  mean batch  network ms/image  G multiply-adds/s (of full's)"
                + "  around it ms/image");
        for (StageTimeReport.Stage s : t.stages()) {
            out.printf(Locale.ROOT, "  %5d  %6d  %7d  %10.1f  %16.2f  %10.1f (%3.0f%%)  %17.2f%n", s.stage(), s.images(),
                    s.batches(), s.meanBatchImages(), s.networkMs(), s.networkMultiplyAddsPerSecond() / 1e9,
                    100 * s.networkShareOfBaseline(), s.aroundMs());
            if (s.anchorNetMs() != null) {
                out.printf(Locale.ROOT, "         AnchorNet before it: %.2f ms/image (%.1f G multiply-adds/s), window"
                        + " proposal %.2f ms/image%n", s.anchorNetMs(),
                        s.anchorNetMultiplyAddsPerSecond() == null ? 0 : s.anchorNetMultiplyAddsPerSecond() / 1e9,
                        s.proposalMs());
            }
        }
        StringBuilder parts = new StringBuilder();
        t.secondsByPart().forEach((part, seconds) -> parts.append(String.format(Locale.ROOT, " %s %.0f%%,", part,
                100 * seconds / t.engineSeconds())));
        out.printf(Locale.ROOT, "  engine time by part:%s; outside the networks %.0f%%%n",
                parts.substring(0, parts.length() - 1), 100 * t.outsideNetworksShare());
    }
}
