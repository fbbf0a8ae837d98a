package org.anchornet.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.Transforms;
import org.anchornet.dynamic.EarlyExitEngine;
import org.anchornet.dynamic.EngineBenchmark;
import org.anchornet.dynamic.ExitTable;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchProposer;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architecture;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;
import org.anchornet.model.TorchModule;
import org.anchornet.torchio.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet bench}: the early-exit engine against the full-resolution network, measured. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time the early-exit engine and the full-resolution network on the same images, batch size and"
                + " threads; print images/s, multiply-adds per image, the speedup and its share of the multiply-add"
                + " ratio.",
            "With --table-file, images leave where the table says at --thresholds (replay): the engine's real speed"
                    + " at a published operating point, without the trained weights."})
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DataOptions data;

    @Option(names = "--arch", defaultValue = "densenet201", description = "Downstream and baseline architecture"
            + " (default ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--table-file", description = "Replay the exits of this table's first --images rows.")
    Path tableFile;

    @Option(names = "--thresholds", arity = "1..*", required = true, description = "One threshold per stage.")
    List<Double> thresholds;

    @Option(names = "--pretrained-anchornet", description = "AnchorNet weights (default: random, for replay).")
    Path anchorNet;

    @Option(names = "--resized-pretrained", description = "Glance network weights.")
    Path resized;

    @Option(names = "--patch-pretrained", description = "Patch network weights.")
    Path patch;

    @Option(names = "--baseline-pretrained", description = "Full-resolution network weights.")
    Path baseline;

    @Option(names = "--images", defaultValue = "256", description = "Images to time (default ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--batch-size", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--rounds", defaultValue = "2", description = "Timed passes per side; the fastest counts"
            + " (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--num-classes", defaultValue = "1000", description = "Classes for random-weight replay (default"
            + " ${DEFAULT-VALUE}).")
    int numClasses;

    @Option(names = "--input-size", defaultValue = "224", description = "Image side (default ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--json", description = "Also write the figures to this JSON file.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if (images < batchSize || batchSize < 1 || rounds < 1) {
            throw new IllegalArgumentException("--images must be at least --batch-size, both positive");
        }
        int usable = images / batchSize * batchSize;
        PrintWriter out = spec.commandLine().getOut();
        List<int[]> forced = null;
        int classes = numClasses;
        ImageDataset source = null;
        if (tableFile != null) {
            ExitTable table = ExitTable.read(tableFile);
            if (thresholds.size() != table.stages()) {
                throw new IllegalArgumentException(thresholds.size() + " thresholds for a table of " + table.stages()
                        + " stages");
            }
            if (table.images() < usable) {
                throw new IllegalArgumentException("the table has only " + table.images() + " images");
            }
            forced = new ArrayList<>();
            for (int b = 0; b < usable / batchSize; b++) {
                int[] exits = new int[batchSize];
                for (int i = 0; i < batchSize; i++) {
                    int row = b * batchSize + i;
                    int s = 0;
                    while (s < table.stages() - 1 && !(table.confidence(s, row) > thresholds.get(s))) {
                        s++;
                    }
                    exits[i] = s + 1;
                }
                forced.add(exits);
            }
        } else {
            source = data.split("test");
            classes = source.numClasses();
            if (resized == null || patch == null || anchorNet == null || baseline == null) {
                throw new IllegalArgumentException("without --table-file, give --pretrained-anchornet,"
                        + " --resized-pretrained, --patch-pretrained and --baseline-pretrained");
            }
        }
        int topK = thresholds.size() - 1;
        Architecture down = Architectures.get(arch);
        try (NDManager manager = NDManager.newBaseManager()) {
            AnchorNet anchor = (AnchorNet) network(Architectures.get("anchornet"), manager, classes, anchorNet, 1);
            TorchModule glanceNet = network(down, manager, classes, resized, 2);
            TorchModule patchNet = network(down, manager, classes, patch, 3);
            TorchModule full = network(down, manager, classes, baseline, 4);
            PatchProposer proposer = new PatchProposer(anchor.receptiveField(), inputSize, topK,
                    Collections.nCopies(Math.max(0, topK - 1), 0.3));
            EarlyExitEngine engine = new EarlyExitEngine(glanceNet, patchNet, new Localizer(anchor, proposer),
                    thresholds.stream().mapToDouble(Double::doubleValue).toArray());
            List<NDArray> batches = new ArrayList<>();
            for (int b = 0; b < usable / batchSize; b++) {
                if (source == null) {
                    batches.add(manager.randomNormal(new Shape(batchSize, 3, inputSize, inputSize)));
                } else {
                    float[] all = new float[batchSize * 3 * inputSize * inputSize];
                    for (int i = 0; i < batchSize; i++) {
                        float[] one = Transforms.evaluation(source.load((b * batchSize + i) % source.size()).image(),
                                inputSize, inputSize);
                        System.arraycopy(one, 0, all, i * one.length, one.length);
                    }
                    batches.add(manager.create(all, new Shape(batchSize, 3, inputSize, inputSize)));
                }
            }
            EngineBenchmark.Costs costs = new EngineBenchmark.Costs(
                    CostCounter.count(glanceNet, proposer.patchSize()).multiplyAdds(),
                    CostCounter.count(anchor, inputSize).multiplyAdds(),
                    CostCounter.count(full, inputSize).multiplyAdds());
            EngineBenchmark.Result r = EngineBenchmark.run(engine, full, batches, forced, costs, rounds);
            print(out, r);
            if (json != null) {
                AtomicFiles.writeString(json, new com.google.gson.GsonBuilder().setPrettyPrinting().create()
                        .toJson(r.toMap()));
            }
        }
        return 0;
    }

    /** Loads weights when given, else random ones (enough for timing a replay); folded for inference either way. */
    private static TorchModule network(Architecture architecture, NDManager manager, int classes, Path weights,
            long seed) throws java.io.IOException {
        return weights != null ? architecture.loadForInference(manager, classes, weights)
                : architecture.create(manager, classes, seed).foldBatchNormsInPlace();
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
        out.flush();
    }
}
