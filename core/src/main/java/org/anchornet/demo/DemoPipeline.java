package org.anchornet.demo;

import com.google.gson.ExclusionStrategy;
import com.google.gson.FieldAttributes;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.ImageDataset;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadeNetwork;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.EngineBenchmark;
import org.anchornet.engine.StageCostCounter;
import org.anchornet.engine.StageTimesFile;
import org.anchornet.engine.ThresholdFitting;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.exits.TablePair;
import org.anchornet.exits.ThresholdSearch;
import org.anchornet.io.AtomicFiles;
import org.anchornet.io.CpuInfo;
import org.anchornet.io.Durations;
import org.anchornet.report.ClassReport;
import org.anchornet.train.TrainingSettings;

/**
 * The whole method on Cluttered Fashion-MNIST, end to end, for one seed: train every network ({@link DemoTraining});
 * test the full-resolution and resolution-scaled baselines; make exit tables for AnchorNet's, random and centre windows
 * ({@link DemoTables}); fit thresholds under a budget on validation and score them on test; write the trained cascade
 * as a package ({@code OUT/cascade}); draw examples; time the engine against the baseline in a fresh process; write
 * {@code summary.json} and the report. Every step resumes: run again on the same folder and finished work is kept.
 */
public final class DemoPipeline {
    static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .serializeNulls().setExclusionStrategies(new ExclusionStrategy() {
                @Override
                public boolean shouldSkipField(FieldAttributes f) {
                    return f.getDeclaringClass() == DemoSettings.class
                            && DemoSettings.LOCAL_FIELDS.contains(f.getName());
                }

                @Override
                public boolean shouldSkipClass(Class<?> c) {
                    return c == Path.class;
                }
            }).create();
    private static final String SETTINGS_FILE = "demo-settings.json";
    private static final String SUMMARY_FILE = "summary.json";
    private static final String STAGE_TIMES_FILE = "stage-times.json";
    /** Settings added after runs were made, with what those runs did: such a run resumes under the old value. */
    private static final String FIT_FIELD = "fit";
    private static final Map<String, JsonElement> SETTINGS_BEFORE_THEY_EXISTED = Map.of("patch_recipe",
            new com.google.gson.JsonPrimitive("paper"), "patch_extra_patience", new com.google.gson.JsonPrimitive(0));

    private final DemoSettings s;
    private final PrintWriter log;
    private final long started = System.nanoTime();
    private final Map<String, Double> stepSeconds = new LinkedHashMap<>();
    private String currentStep;
    private String currentKey;
    private long stepStarted = System.nanoTime();
    private double stepTrainedSeconds; // the current step's epochs, those before a resume included
    private RunPlan plan;

    public DemoPipeline(DemoSettings settings, PrintWriter log) {
        this.s = settings;
        this.log = log;
    }

    /** Logs the start of a step: its place in the plan, the time so far, and the time the rest should take. */
    private void announce(String key, String what) {
        closeStep();
        currentStep = what;
        currentKey = key;
        Double left = plan.secondsLeft(key);
        log.printf(Locale.ROOT, "[%s %s] %s  (run ETA %s)%n", plan.position(key),
                Durations.of((System.nanoTime() - started) / 1e9), what,
                left == null ? "after the first step" : Durations.of(left));
        log.flush();
    }

    private void closeStep() {
        long now = System.nanoTime();
        if (currentStep != null) {
            double wall = (now - stepStarted) / 1e9;
            stepSeconds.put(currentStep, plan.finished(currentKey, wall, stepTrainedSeconds));
        }
        stepStarted = now;
        stepTrainedSeconds = 0;
    }

    /** The training's view of the log: step announcements, and each network's training time for the plan. */
    private DemoTraining.Steps steps() {
        return new DemoTraining.Steps() {
            @Override
            public void announce(String key, String what) {
                DemoPipeline.this.announce(key, what);
            }

            @Override
            public void trained(double seconds) {
                stepTrainedSeconds += seconds;
            }
        };
    }

    /** Runs (or resumes) every step and returns what {@code summary.json} holds. */
    public DemoSummary run() throws IOException {
        Path out = s.outDir();
        claimFolder(out);
        Path summaryFile = out.resolve(SUMMARY_FILE);
        DemoSummary finished = finishedRun(summaryFile);
        if (finished != null) {
            log.printf("this run had already finished; its summary is kept (%s; delete it to test and time again)%n",
                    summaryFile);
            log.flush();
            return finished;
        }
        PipelineData data = s.images();
        ImageDataset val = data.val();
        ImageDataset test = data.test();
        log.printf("data: %d training, %d validation images, %d classes; figures scored on %s%n", data.train().size(),
                val.size(), data.classes().size(), data.testSource());

        double full = gmacs(s.canvas(), data.classes().size());
        double glanceCost = gmacs(DemoTraining.glanceSize(), data.classes().size());
        if (s.budgetMs() == null && s.budgetFraction() * full < glanceCost) { // found before hours of training
            throw new IllegalArgumentException(String.format(Locale.ROOT, "a budget of %.0f%% of %s's %.3f G at %d px"
                    + " is below its glance (%.3f G at %d px), so no image could be classified within it; give"
                    + " --budget-fraction %.2f or more", 100 * s.budgetFraction(), s.arch(), full, s.canvas(),
                    glanceCost, DemoTraining.glanceSize(), Math.ceil(100 * glanceCost / full) / 100));
        }
        plan = new RunPlan(s, data.classes().size(), data.train().size(), val.size(), test.size());
        StageTimesFile times = s.budgetMs() == null ? null : timeStages(data);
        DemoTraining training = new DemoTraining(s, log, steps(), data);
        DemoTraining.Networks nets = training.trainAll();

        announce("test", "testing the full-resolution and resolution-scaled baselines on " + test.size()
                + " images");
        DemoSummary.Point baseline = new DemoSummary.Point(training.evaluate(TrainingSettings.Mode.FULL, s.canvas(),
                nets.baseline(), test), gmacs(s.canvas(), data.classes().size()));
        List<DemoSummary.Resolution> resolutions = new ArrayList<>();
        for (Map.Entry<Integer, Path> r : nets.resolutions().entrySet()) {
            resolutions.add(new DemoSummary.Resolution(r.getKey(), training.evaluate(TrainingSettings.Mode.RESIZED,
                    r.getKey(), r.getValue(), test), gmacs(r.getKey(), data.classes().size())));
        }

        CascadeConfig untuned = cascadeConfig(nets, data);
        Map<String, TablePair> tables;
        boolean paperToo = !nets.paperPatch().equals(nets.patch());
        DemoTables tableMaker = new DemoTables(s, log);
        try (Cascade cascade = Cascade.fromCheckpoints(untuned, nets.anchorNet(), nets.glance(), nets.patch())) {
            announce("tables", "making exit tables on validation and test with AnchorNet's, random and centre"
                    + " windows" + (paperToo ? ", and with the paper's patch network" : ""));
            tables = tableMaker.make(cascade, val, test);
        }
        if (paperToo) { // the recipe's own comparison with the paper's, on the same seed and other networks
            try (Cascade paper = Cascade.fromCheckpoints(untuned, nets.anchorNet(), nets.glance(), nets.paperPatch())) {
                tables.put(DemoTables.PAPER_PATCH, tableMaker.paperPatch(paper, val, test));
            }
        }

        StageCosts costs = untuned.costs();
        // a time budget is fit on the measured stage times; the summary's budget is then the multiply-adds it bought
        StageCosts fitCosts = times == null ? costs : times.costs();
        double fitBudget = times == null ? s.budgetFraction() * baseline.gmacs() * 1e9 : s.budgetMs() * 1e6;
        announce("fit", (times == null ? String.format(Locale.ROOT, "fitting thresholds on validation under %.3f G"
                + " (%.0f%% of the baseline's %.3f G)", fitBudget / 1e9, 100 * s.budgetFraction(), baseline.gmacs())
                : String.format(Locale.ROOT, "fitting thresholds on validation under %.2f ms per image on this"
                + " machine (the full network: %.2f ms)", s.budgetMs(), times.fullNetworkMs()))
                + ", scoring them on test, and sweeping budgets");
        Map<String, DemoSummary.Method> methods = new LinkedHashMap<>();
        Map<String, List<DemoSummary.FrontierPoint>> frontier = new LinkedHashMap<>();
        ThresholdSearch.Policy chosen = null;
        ThresholdFitter.Method fit = ThresholdFitter.Method.parse(s.fit());
        for (String source : tables.keySet()) {
            ThresholdSearch.Policy policy = DemoTables.policy(tables.get(source), fitCosts, fitBudget, fit).policy();
            methods.put(source, DemoTables.method(tables.get(source), costs, policy));
            frontier.put(source, DemoTables.frontier(tables.get(source), costs, fit));
            if (source.equals("anchornet")) {
                chosen = policy;
            }
        }
        double budget = times == null ? fitBudget : methods.get("anchornet").valGmacs() * 1e9;
        DemoSummary.Point glance = new DemoSummary.Point(tables.get("anchornet").test().stageAccuracy(0),
                costs.stage(0) / 1e9);
        resolutions.add(0, new DemoSummary.Resolution(DemoTraining.glanceSize(), glance.testTop1(), glance.gmacs()));
        resolutions.add(new DemoSummary.Resolution(s.canvas(), baseline.testTop1(), baseline.gmacs()));

        announce("package", "writing the trained cascade to " + out.resolve("cascade"));
        Path packageDir = out.resolve("cascade");
        String fitTable = "tables/anchornet_val.pth";
        ExitTable fitOn = tables.get("anchornet").validation();
        CascadePackage.write(packageDir, untuned.withThresholds(ThresholdFitting.stored(chosen), times == null
                ? ThresholdFitting.describe(chosen, budget, fitTable, "val", fitOn)
                : ThresholdFitting.describeTime(chosen, s.budgetMs(), times, untuned, fitTable, "val", fitOn)), Map.of(
                CascadeNetwork.ANCHORNET, nets.anchorNet(), CascadeNetwork.GLANCE, nets.glance(),
                CascadeNetwork.PATCH, nets.patch()));

        ClassReport classes = ClassReport.of(tables.get("anchornet").test(), ThresholdFitting.stored(chosen),
                data.classes());
        if (classes != null) {
            classes.write(out);
            AtomicFiles.writeString(out.resolve(HtmlReport.CLASSES_FRAGMENT), classes.html());
        }

        announce("figures", "drawing windows, per-stage predictions and class activation maps");
        try (Cascade cascade = Cascade.load(packageDir)) {
            DemoFigures.examples(cascade, test, out);
        }
        DemoSummary summary = new DemoSummary(s, CpuInfo.describe(), baseline, glance, resolutions, budget / 1e9,
                gigas(costs), methods, frontier, null, stepSeconds, 0,
                GSON.toJsonTree(data.provenance()).getAsJsonObject());
        write(summary);

        // Timed last, in a fresh process, after this one has released its networks and tables (see BenchProcess).
        announce("bench", "timing the early-exit engine against the full-resolution baseline (fresh process)");
        EngineBenchmark.Result bench = BenchProcess.run(benchArgs(packageDir, nets.baseline(), data),
                out.resolve("bench.json"), out.resolve("bench.log"));
        closeStep();
        summary = new DemoSummary(s, summary.cpu(), baseline, glance, resolutions, summary.budgetGmacs(),
                summary.stageCostsGmacs(), methods, frontier, bench, stepSeconds,
                Math.max((System.nanoTime() - started) / 1e9, stepSeconds.values().stream()
                        .mapToDouble(Double::doubleValue).sum()), summary.data());
        write(summary);
        log.printf("report: %s%n", out.resolve("report.html"));
        log.flush();
        return summary;
    }

    private void write(DemoSummary summary) throws IOException {
        AtomicFiles.writeString(s.outDir().resolve(SUMMARY_FILE), GSON.toJson(summary));
        DemoFigures.charts(List.of(summary), s.outDir());
        HtmlReport.write(s.outDir(), List.of(summary));
    }

    /**
     * Records the settings in the output folder, or checks that a folder being resumed was made with the same ones:
     * otherwise its networks and tables would silently mix two runs.
     */
    private void claimFolder(Path out) throws IOException {
        Files.createDirectories(out);
        Path file = out.resolve(SETTINGS_FILE);
        JsonObject mine = GSON.toJsonTree(s).getAsJsonObject();
        if (Files.exists(file)) {
            JsonObject theirs = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            for (String key : mine.keySet()) {
                if (key.equals(FIT_FIELD)) {
                    continue; // the fit changes no network: a run may be refit ({@link #finishedRun} redoes it)
                }
                JsonElement a = mine.get(key);
                // a setting added since the folder was made is what those runs did: its listed value, else null
                JsonElement b = theirs.has(key) ? theirs.get(key)
                        : SETTINGS_BEFORE_THEY_EXISTED.getOrDefault(key, com.google.gson.JsonNull.INSTANCE);
                if (!a.equals(b)) {
                    throw new IllegalArgumentException(out + " holds a demo run with other settings (" + key + ": "
                            + b + " there, " + a + " now); give another output folder, or start over");
                }
            }
            log.println("resuming the run in " + out + " (finished steps are kept; start over to train afresh)");
        } else {
            AtomicFiles.writeString(file, GSON.toJson(mine));
        }
    }

    /**
     * The summary of a run that got as far as timing the engine (its last step), or null when there is none: a
     * finished seed of a multi-seed run is then aggregated as it was, not tested and timed again. The settings were
     * checked by {@link #claimFolder}; the current ones, with this machine's paths, replace the stored ones.
     */
    private DemoSummary finishedRun(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        DemoSummary stored;
        try {
            JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
            JsonObject settings = json.has("settings") ? json.getAsJsonObject("settings") : new JsonObject();
            String storedFit = settings.has(FIT_FIELD) ? settings.get(FIT_FIELD).getAsString() : "cv";
            if (!storedFit.equals(s.fit())) {
                log.printf("%s was fit with %s; fitting again with %s%n", file, storedFit, s.fit());
                return null;
            }
            json.remove("settings");
            stored = GSON.fromJson(json, DemoSummary.class);
        } catch (RuntimeException e) {
            log.printf("%s cannot be read (%s); running the remaining steps again%n", file, e.getMessage());
            return null;
        }
        if (stored == null || stored.bench() == null) {
            return null;
        }
        return stored.withSettings(s);
    }

    /**
     * Each stage's milliseconds per image on this machine, to price a time budget: timed before any training (the
     * time does not depend on the weights), in a fresh process, on networks with random weights, every benchmark image
     * through every stage (bench --stage-times), so that no label or exit enters these costs. Kept in the output
     * folder and reused when the run resumes.
     */
    private StageTimesFile timeStages(PipelineData data) throws IOException {
        Path file = s.outDir().resolve(STAGE_TIMES_FILE);
        CascadeConfig shape = configBuilder(data).build();
        if (!Files.exists(file)) {
            announce("stage-times", "timing every stage on this machine (fresh process, random weights) to price the"
                    + " budget of " + s.budgetMs() + " ms per image");
            Path random = s.outDir().resolve("stage-times-cascade.zip");
            CascadePackage.writeRandom(random, shape);
            try {
                List<String> args = new ArrayList<>(List.of("--cascade", random.toString(), "--images",
                        Integer.toString(s.benchImages()), "--batch-size", Integer.toString(s.batchSize()),
                        "--rounds", s.benchImages() >= 128 ? "2" : "1", "--workers", Integer.toString(s.workers()),
                        "--stage-times", file.toString()));
                args.addAll(data.benchData());
                BenchProcess.run(args, s.outDir().resolve("stage-times-bench.json"),
                        s.outDir().resolve("stage-times-bench.log"));
            } finally {
                Files.deleteIfExists(random);
            }
        }
        StageTimesFile times = StageTimesFile.read(file);
        times.checkFits(shape, file);
        if (s.budgetMs() < times.msPerImage()[0]) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "a budget of %.2f ms per image is below"
                    + " the glance's %.2f ms on this machine (%s), so no image could be classified within it; give"
                    + " --budget-ms %.2f or more", s.budgetMs(), times.msPerImage()[0], file, times.msPerImage()[0]));
        }
        return times;
    }

    /** The cascade's shape: what it runs and on what images, before any network is trained. */
    private CascadeConfig.Builder configBuilder(PipelineData data) {
        return CascadeConfig.builder().arch(s.arch()).classes(data.classes()).inputSize(s.canvas())
                .evalResize(data.evalResize()).topK(s.topK())
                .iouThresholds(new ArrayList<>(java.util.Collections.nCopies(s.topK() - 1, s.iou())))
                .data(data.provenance());
    }

    /** The cascade's configuration before thresholds are fit, with where each network came from. */
    private CascadeConfig cascadeConfig(DemoTraining.Networks nets, PipelineData data) throws IOException {
        return configBuilder(data)
                .network(CascadeNetwork.ANCHORNET.key(), CascadePackage.provenance(nets.anchorNet()))
                .network(CascadeNetwork.GLANCE.key(), CascadePackage.provenance(nets.glance()))
                .network(CascadeNetwork.PATCH.key(), CascadePackage.provenance(nets.patch()))
                .build();
    }

    /** Multiply-adds of the downstream network at an input side, in billions. */
    private double gmacs(int side, int classes) {
        return StageCostCounter.network(s.arch(), side, classes) / 1e9;
    }

    private static double[] gigas(StageCosts costs) {
        return java.util.Arrays.stream(costs.perStage()).mapToDouble(c -> c / 1e9).toArray();
    }

    /** {@code bench} arguments that time the packaged cascade on this run's test canvases. */
    private List<String> benchArgs(Path packageDir, Path baseline, PipelineData data) {
        List<String> args = new ArrayList<>(List.of("--cascade", packageDir.toString(), "--baseline-pretrained",
                baseline.toString(), "--images", Integer.toString(s.benchImages()), "--batch-size",
                Integer.toString(s.batchSize()), "--rounds", s.benchImages() >= 128 ? "3" : "1", "--workers",
                Integer.toString(s.workers())));
        args.addAll(data.benchData());
        return args;
    }
}
