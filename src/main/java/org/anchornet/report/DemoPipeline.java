package org.anchornet.report;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;
import org.anchornet.dynamic.BudgetSweep;
import org.anchornet.dynamic.DynamicInference;
import org.anchornet.dynamic.EarlyExitEngine;
import org.anchornet.dynamic.ExitTable;
import org.anchornet.dynamic.ExitTableMaker;
import org.anchornet.dynamic.Outcome;
import org.anchornet.dynamic.StageCosts;
import org.anchornet.dynamic.ThresholdSearch;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchProposer;
import org.anchornet.localize.WindowSource;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;
import org.anchornet.model.TorchModule;
import org.anchornet.torchio.AtomicFiles;
import org.anchornet.train.TrainingRun;
import org.anchornet.train.TrainingSettings;

/**
 * The whole method on Cluttered Fashion-MNIST, end to end: train the full-resolution baseline, AnchorNet, and the
 * glance and patch networks (both fine-tuned from the baseline, as there are no ImageNet weights offline); make exit
 * tables on validation and test; fit thresholds under a budget on validation; score them on test next to the
 * baseline and to random and centre windows at equal cost; time the early-exit engine against the baseline; write the
 * report.
 */
public final class DemoPipeline {
    private final DemoSettings s;
    private final PrintWriter log;
    private final long started = System.nanoTime();
    private int step;
    private static final int STEPS = 9;

    public DemoPipeline(DemoSettings settings, PrintWriter log) {
        this.s = settings;
        this.log = log;
    }

    private void announce(String what) {
        step++;
        log.printf(Locale.ROOT, "[%d/%d %5.0fs] %s%n", step, STEPS, (System.nanoTime() - started) / 1e9, what);
        log.flush();
    }

    /** Runs every step and returns the summary written to {@code summary.json}. */
    public Map<String, Object> run() throws IOException {
        Path out = s.outDir();
        Files.createDirectories(out);
        FashionMnist fashion = FashionMnist.locate(s.fashionMnistDir(),
                Path.of(System.getProperty("user.home"), ".cache", "anchornet", "fashion-mnist"));
        ClutteredFashionMnist.checkDisjoint(s.trainSize(), s.valSize(), fashion);
        ClutteredFashionMnist.Config canvases = new ClutteredFashionMnist.Config(s.canvas(), 3, 6, 12, 6.0, s.seed());
        ImageDataset train = new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.TRAIN, s.trainSize(), canvases);
        ImageDataset val = new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.VAL, s.valSize(), canvases);
        ClutteredFashionMnist test = new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.TEST, s.testSize(),
                canvases);
        Path models = out.resolve("checkpoints");

        announce("training the full-resolution " + s.arch() + " (the baseline) on " + train.size() + " canvases");
        TrainingSettings full = TrainingSettings.downstreamDefaults(TrainingSettings.Mode.FULL).arch(s.arch())
                .epochs(s.fullEpochs()).lr(s.fullLr()).build();
        Path baseline = train(full, models.resolve("full"), train, val);

        announce("training AnchorNet");
        Path anchorNet = train(TrainingSettings.anchorNetDefaults().epochs(s.anchorEpochs()).lr(s.anchorLr())
                .schedule(TrainingSettings.Schedule.COSINE).build(), models.resolve("anchornet"), train, val);

        announce("fine-tuning the glance network (whole canvas resized to 95 px) from the baseline");
        Path resized = train(TrainingSettings.downstreamDefaults(TrainingSettings.Mode.RESIZED).arch(s.arch())
                .epochs(s.resizedEpochs()).lr(s.fineTuneLr()).pretrained(baseline).build(), models.resolve("resized"),
                train, val);

        announce("fine-tuning the patch network on AnchorNet's top-" + s.topK() + " patches from the baseline");
        Path patch = train(TrainingSettings.downstreamDefaults(TrainingSettings.Mode.PATCH).arch(s.arch())
                .epochs(s.patchEpochs()).lr(s.fineTuneLr()).pretrained(baseline).anchorNet(anchorNet).topK(s.topK())
                .iou(s.iou()).build(), models.resolve("patch"), train, val);

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("settings", settingsMap());
        double[] chosen = null;
        try (NDManager manager = NDManager.newBaseManager()) {
            int classes = FashionMnist.CLASSES.size();
            AnchorNet anchor = (AnchorNet) Architectures.get("anchornet").loadForInference(manager, classes, anchorNet);
            TorchModule glanceNet = Architectures.get(s.arch()).loadForInference(manager, classes, resized);
            TorchModule patchNet = Architectures.get(s.arch()).loadForInference(manager, classes, patch);
            PatchProposer proposer = new PatchProposer(anchor.receptiveField(), s.canvas(), s.topK(),
                    Collections.nCopies(s.topK() - 1, s.iou()));
            Localizer localizer = new Localizer(anchor, proposer);
            StageCosts costs = StageCosts.counted(s.topK() + 1, s.arch(), proposer.patchSize(), s.canvas(), classes);
            // The baseline is the glance network's architecture at full size; the count does not depend on weights.
            long baselineMacs = CostCounter.count(glanceNet, s.canvas()).multiplyAdds();
            double budget = s.budgetFraction() * baselineMacs;

            announce("making exit tables (validation and test) with AnchorNet, random and centre windows");
            Map<String, ExitTable[]> tables = new LinkedHashMap<>();
            tables.put("anchornet", tables(glanceNet, patchNet, WindowSource.anchorNet(localizer), val, test, manager,
                    costs, "anchornet", out));
            tables.put("random", tables(glanceNet, patchNet, WindowSource.random(proposer, s.seed() + 17), val, test,
                    manager, costs, "random", out));
            tables.put("centre", tables(glanceNet, patchNet, WindowSource.centre(proposer), val, test, manager, costs,
                    "centre", out));

            announce(String.format(Locale.ROOT, "fitting thresholds on validation under %.3f G (%.0f%% of the"
                    + " baseline's %.3f G) and scoring on test", budget / 1e9, 100 * s.budgetFraction(),
                    baselineMacs / 1e9));
            double baselineTop1 = evaluateBaseline(baseline, test);
            Map<String, Object> methods = new LinkedHashMap<>();
            Outcome chosenTest = null;
            for (Map.Entry<String, ExitTable[]> e : tables.entrySet()) {
                ThresholdSearch search = new ThresholdSearch(e.getValue()[0], costs);
                ThresholdSearch.Policy policy = search.search(budget);
                Outcome onTest = DynamicInference.evaluate(e.getValue()[1], policy.thresholds(), costs);
                Map<String, Object> outcome = outcomeMap(policy.thresholds(), policy.validation(), onTest);
                // every image through stage j: the same cost for each window source, so the fairest ablation
                outcome.put("test_top1_at_stage", java.util.stream.IntStream.range(0, costs.stages())
                        .mapToDouble(j -> e.getValue()[1].stageAccuracy(j)).toArray());
                methods.put(e.getKey(), outcome);
                if (e.getKey().equals("anchornet")) {
                    chosen = policy.thresholds();
                    chosenTest = onTest;
                }
            }
            ExitTable[] main = tables.get("anchornet");
            List<BudgetSweep.Point> frontier = BudgetSweep.run(main[0], main[1], costs,
                    BudgetSweep.defaultBudgets(costs, 16));
            summary.put("baseline", Map.of("test_top1", baselineTop1, "gmacs", baselineMacs / 1e9));
            summary.put("glance_only", Map.of("test_top1", main[1].stageAccuracy(0), "gmacs", costs.stage(0) / 1e9));
            summary.put("budget_gmacs", budget / 1e9);
            summary.put("early_exit", methods);
            summary.put("stage_costs_gmacs", java.util.Arrays.stream(costs.perStage()).mapToDouble(c -> c / 1e9)
                    .toArray());
            writeFrontier(out, frontier, main[1], costs, baselineTop1, baselineMacs, methods);

            EarlyExitEngine engine = new EarlyExitEngine(glanceNet, patchNet, localizer, chosen);
            List<String> stageNames = new ArrayList<>();
            double[] exits = new double[costs.stages()];
            for (int j = 0; j < costs.stages(); j++) {
                stageNames.add(j == 0 ? "glance" : "patch " + j);
                exits[j] = chosenTest.exits()[j];
            }
            Charts.save(Figures.bars("Where test canvases exit", "images", stageNames, exits), out, "exits", 640, 420);

            announce("drawing windows, per-stage predictions and class activation maps");
            drawExamples(test, engine, localizer, manager, out);
        }
        // Timed last, after this process has released its networks and tables (see BenchProcess).
        announce("timing the early-exit engine against the full-resolution baseline");
        Map<String, Object> bench = BenchProcess.run(benchArgs(chosen, anchorNet, resized, patch, baseline),
                out.resolve("bench.json"), out.resolve("bench.log"));
        summary.put("bench", bench);
        Charts.save(Figures.bars("Measured throughput (" + bench.get("images") + " test canvases, batch "
                + bench.get("batch_size") + ", fresh process)", "images / s",
                List.of("early exit (AnchorNet)", "full resolution"),
                new double[] {(Double) bench.get("engine_images_per_s"), (Double) bench.get("baseline_images_per_s")}),
                out, "throughput", 640, 420);
        summary.put("seconds", (System.nanoTime() - started) / 1e9);
        String json = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(summary);
        AtomicFiles.writeString(out.resolve("summary.json"), json);
        announce("writing the report");
        HtmlReport.write(out, summary);
        log.printf("report: %s%n", out.resolve("report.html"));
        log.flush();
        return summary;
    }

    private Path train(TrainingSettings base, Path dir, ImageDataset train, ImageDataset val) throws IOException {
        TrainingSettings settings = base.toBuilder().numClasses(FashionMnist.CLASSES.size()).inputSize(s.canvas())
                .evalResize(s.canvas()).batchSize(s.batchSize()).augment(TrainingSettings.Augment.FLIP)
                .checkpointDir(dir).seed(s.seed()).workers(s.workers()).progress(s.progress()).build();
        try (TrainingRun run = new TrainingRun(settings, log)) {
            return run.fit(train, val).best();
        }
    }

    private double evaluateBaseline(Path baseline, ImageDataset test) throws IOException {
        TrainingSettings settings = TrainingSettings.downstreamDefaults(TrainingSettings.Mode.FULL).arch(s.arch())
                .numClasses(FashionMnist.CLASSES.size()).inputSize(s.canvas()).evalResize(s.canvas())
                .batchSize(s.batchSize()).pretrained(baseline).checkpointDir(s.outDir().resolve("checkpoints"))
                .workers(s.workers()).progress(false).build();
        try (TrainingRun run = new TrainingRun(settings, new PrintWriter(java.io.Writer.nullWriter()))) {
            return run.evaluate(test);
        }
    }

    private ExitTable[] tables(TorchModule glanceNet, TorchModule patchNet, WindowSource windows, ImageDataset val,
            ImageDataset test, NDManager manager, StageCosts costs, String name, Path out) throws IOException {
        ExitTableMaker maker = new ExitTableMaker(glanceNet, patchNet, windows);
        ExitTable[] pair = new ExitTable[2];
        int k = 0;
        for (ImageDataset split : List.of(val, test)) {
            ExitTable.Metadata meta = new ExitTable.Metadata(name + "_" + ExitTableMaker.setup(s.arch(), 95,
                    Collections.nCopies(s.topK() - 1, s.iou())), Optional.of(s.arch()), Optional.of(95),
                    Collections.nCopies(s.topK() - 1, s.iou()), Optional.of(costs.perStage()), List.of());
            try (BatchLoader loader = new BatchLoader(split, (img, r) -> Transforms.toNormalizedChw(img),
                    new BatchLoader.Options(s.batchSize(), s.workers(), 4, false, false),
                    w -> log.println("warning: " + w))) {
                pair[k] = maker.make(loader, manager, meta, done -> { });
            }
            pair[k].write(out.resolve("tables").resolve(name + "_" + (k == 0 ? "val" : "test") + ".pth"));
            k++;
        }
        return pair;
    }

    /** {@code bench} arguments that time the trained networks at the chosen thresholds on this run's test canvases. */
    private List<String> benchArgs(double[] thresholds, Path anchorNet, Path resized, Path patch, Path baseline) {
        List<String> args = new ArrayList<>(List.of("--arch", s.arch(), "--pretrained-anchornet", anchorNet.toString(),
                "--resized-pretrained", resized.toString(), "--patch-pretrained", patch.toString(),
                "--baseline-pretrained", baseline.toString(), "--images", Integer.toString(s.benchImages()),
                "--batch-size", Integer.toString(s.batchSize()), "--rounds", s.benchImages() >= 128 ? "3" : "1",
                "--train-size", Integer.toString(s.trainSize()), "--val-size", Integer.toString(s.valSize()),
                "--test-size", Integer.toString(s.testSize()), "--canvas", Integer.toString(s.canvas()),
                "--data-seed", Long.toString(s.seed()), "--workers", Integer.toString(s.workers()),
                "--input-size", Integer.toString(s.canvas())));
        if (s.fashionMnistDir() != null) {
            args.add("--fashion-mnist-dir");
            args.add(s.fashionMnistDir().toString());
        }
        args.add("--thresholds");
        for (double t : thresholds) {
            args.add(Double.toString(t));
        }
        return args;
    }

    private static RgbImage load(ImageDataset data, int index) {
        try {
            return data.load(index).image();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private void drawExamples(ClutteredFashionMnist test, EarlyExitEngine engine, Localizer localizer,
            NDManager manager, Path out) throws IOException {
        int count = Math.min(8, test.size());
        List<RgbImage> images = new ArrayList<>();
        float[] all = new float[count * 3 * s.canvas() * s.canvas()];
        for (int i = 0; i < count; i++) {
            RgbImage image = test.load(i).image();
            images.add(image);
            float[] one = Transforms.toNormalizedChw(image);
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        try (NDManager scope = manager.newSubManager()) {
            NDArray x = scope.create(all, new Shape(count, 3, s.canvas(), s.canvas()));
            List<EarlyExitEngine.Decision> decisions = engine.classify(x);
            Localizer.Result found = localizer.localize(new ParameterStore(scope, false), x);
            List<Figures.Annotated> annotated = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                EarlyExitEngine.Decision d = decisions.get(i);
                List<String> labels = new ArrayList<>();
                for (int p : d.stagePredictions()) {
                    labels.add(FashionMnist.CLASSES.get(p));
                }
                // show every proposed window; the engine used the first (exit stage − 1) of them
                annotated.add(new Figures.Annotated(images.get(i), found.windows().get(i), labels,
                        FashionMnist.CLASSES.get(test.label(i)), d.predicted() == test.label(i)));
            }
            Figures.savePng(Figures.windowsGrid(annotated, 4), out.resolve("examples.png"));
            PatchProposer p = localizer.proposer();
            Figures.savePng(Figures.camGrid(images, found.cams(), p.featureSide(), 8, p.patchSize(), 4),
                    out.resolve("cams.png"));
        }
    }

    private void writeFrontier(Path out, List<BudgetSweep.Point> frontier, ExitTable test, StageCosts costs,
            double baselineTop1, long baselineMacs, Map<String, Object> methods) throws IOException {
        List<Charts.Series> series = new ArrayList<>();
        series.add(new Charts.Series("full-resolution baseline", new double[] {baselineMacs / 1e9},
                new double[] {100 * baselineTop1}, false));
        for (String ablation : List.of("random", "centre")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) methods.get(ablation);
            series.add(new Charts.Series(ablation + " windows at the same budget",
                    new double[] {(Double) m.get("test_gmacs")}, new double[] {100 * (Double) m.get("test_top1")},
                    false));
        }
        FrontierReport.write(out, "Cluttered Fashion-MNIST test set: accuracy vs multiply-adds", frontier, test, costs,
                series);
    }

    private static Map<String, Object> outcomeMap(double[] thresholds, Outcome val, Outcome test) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("thresholds", java.util.Arrays.stream(thresholds).mapToObj(t -> Double.isInfinite(t) ? (Object) (t > 0
                ? "inf" : "-inf") : (Object) t).toList());
        m.put("val_top1", val.accuracy());
        m.put("val_gmacs", val.meanGigaMultiplyAdds());
        m.put("test_top1", test.accuracy());
        m.put("test_gmacs", test.meanGigaMultiplyAdds());
        m.put("test_exits_per_stage", test.exits());
        return m;
    }

    private Map<String, Object> settingsMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("train", s.trainSize());
        m.put("val", s.valSize());
        m.put("test", s.testSize());
        m.put("canvas", s.canvas());
        m.put("arch", s.arch());
        m.put("epochs_full_anchor_resized_patch", List.of(s.fullEpochs(), s.anchorEpochs(), s.resizedEpochs(),
                s.patchEpochs()));
        m.put("topk", s.topK());
        m.put("iou", s.iou());
        m.put("budget_fraction", s.budgetFraction());
        m.put("seed", s.seed());
        return m;
    }
}
