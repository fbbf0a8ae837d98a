package org.anchornet.cli;

import org.anchornet.model.Architectures;
import org.anchornet.model.AnchorNet;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.StageCostCounter;
import org.anchornet.engine.StageTimesFile;

import com.google.gson.GsonBuilder;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.anchornet.exits.BudgetSweep;
import org.anchornet.exits.DynamicInference;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.TablePair;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.exits.ThresholdSearch;
import org.anchornet.report.FitReport;
import org.anchornet.report.FrontierReport;
import org.anchornet.report.OutcomeReport;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import org.anchornet.data.Transforms;

/** {@code anchornet dynamic-inference}: early exit simulated on exit tables, and thresholds fit under a budget. */
@Command(name = "dynamic-inference", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score early-exit thresholds on an exit table, or fit them under a compute budget.",
            "An image leaves at the first stage whose confidence is strictly greater than that stage's threshold."
                    + " Stage j costs j downstream passes at the patch size plus, from stage 2 on, one AnchorNet"
                    + " pass."})
final class DynamicInferenceCommand implements Callable<Integer> {
    private static final com.google.gson.Gson JSON = new GsonBuilder().setPrettyPrinting().create();

    @Spec CommandSpec spec;

    @Option(names = "--table-file", required = true, description = "Exit table (.pth) from make-table or the"
            + " reference's make_table.py.")
    Path tableFile;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static final class Mode {
        @Option(names = "--thresholds", arity = "1..*", description = "One"
                + " threshold per stage (fewer than the table's stages scores only the first stages, as the reference"
                + " script does); 'inf' for a stage that never exits.")
        List<String> thresholds;

        @Option(names = "--thresholds-file", description = "A file with one threshold vector per line.")
        Path thresholdsFile;

        @Option(names = "--budget", converter = Converters.PositiveDouble.class, description = "Fit thresholds with"
                + " mean cost ≤ this many G multiply-adds on"
                + " validation, report them on test.")
        Double budget;

        @Option(names = "--budget-ms", converter = Converters.PositiveDouble.class, description = "Fit thresholds"
                + " with mean time ≤ this many milliseconds per image on validation, priced with --stage-times, and"
                + " report them on test.")
        Double budgetMs;

        @Option(names = "--sweep", description = "Trace the accuracy-vs-cost frontier over budgets (CSV, PNG, SVG).")
        boolean sweep;
    }

    @Option(names = "--answer", converter = Converters.AnswerRule.class, description = "With --thresholds or"
            + " --thresholds-file: whose prediction answers, and whose confidence the thresholds test: exit-stage"
            + " (default, the paper's) or most-confident (the most confident stage so far). A fit chooses its own.")
    org.anchornet.exits.Answer answer;

    @Option(names = "--test-table", description = "Separate test table for --budget/--sweep (else a seeded split).")
    Path testTable;

    @Option(names = "--val-fraction", defaultValue = "0.5", description = "Share of the table used to fit thresholds"
            + " when there is no --test-table (default ${DEFAULT-VALUE}).")
    double valFraction;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the validation/test split (default"
            + " ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--arch", description = "Downstream architecture for costs (default: the table's, else"
            + " densenet201).")
    String arch;

    @Option(names = "--patch-size", converter = Converters.PositiveInt.class,
            description = "Patch size for costs (default: the table's, else 95).")
    Integer patchSize;

    @Option(names = "--input-size", defaultValue = "" + Transforms.DEFAULT_INPUT_SIZE,
            converter = Converters.PositiveInt.class, description = "AnchorNet input size (default"
            + " ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--num-classes", defaultValue = "1000", converter = Converters.PositiveInt.class,
            description = "Classes of the downstream head, for costs (default ${DEFAULT-VALUE}, ImageNet as in the"
                    + " reference's tables; tables from make-table carry their own costs).")
    int numClasses;

    @Option(names = "--downstream-gmacs", converter = Converters.PositiveDouble.class,
            description = "Override: G multiply-adds of one downstream pass.")
    Double downstreamGmacs;

    @Option(names = "--anchornet-gmacs", converter = Converters.PositiveDouble.class,
            description = "Override: G multiply-adds of one AnchorNet pass.")
    Double anchornetGmacs;

    @Option(names = "--stage-times", paramLabel = "FILE", description = "With --budget-ms: each stage's time per"
            + " image, from bench --stage-times on the cascade that made the table.")
    Path stageTimes;

    @Option(names = "--budgets", defaultValue = "40", description = "Number of budgets in a sweep (default"
            + " ${DEFAULT-VALUE}).")
    int budgetCount;

    @Option(names = "--save-dir", defaultValue = "runs/dynamic", description = "Where --sweep writes frontier.csv,"
            + " frontier.png and frontier.svg (default ${DEFAULT-VALUE}).")
    Path saveDir;

    @Option(names = "--format", defaultValue = "table", description = "Output: table, csv or json (default"
            + " ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--json", description = "Same as --format json; with --budget, one object: the budget, the chosen"
            + " method and every candidate fit with its validation and test accuracy and cost.")
    boolean json;

    @Option(names = "--fit", converter = Converters.FitMethod.class, defaultValue = "cv",
            description = Converters.FIT_HELP)
    ThresholdFitter.Method fit;

    /** Each budget of a sweep is a fit; past this many the curve is no finer, only slower and larger. */
    static final int MAX_BUDGETS = 1000;

    @Override
    public Integer call() throws IOException {
        if (patchSize != null && (patchSize > inputSize || inputSize > CascadeConfig.MAX_INPUT_SIZE)) {
            throw new IllegalArgumentException("--patch-size " + patchSize + " and --input-size " + inputSize
                    + " must satisfy patch size <= input size <= " + CascadeConfig.MAX_INPUT_SIZE);
        }
        OutcomeReport.Format output = OutcomeReport.Format.parse(json ? "json" : format);
        ExitTable table = ExitTable.read(tableFile);
        StageCosts costs = costs(table);
        PrintWriter out = spec.commandLine().getOut();
        if (mode.thresholds != null || mode.thresholdsFile != null) {
            List<double[]> vectors = mode.thresholds != null
                    ? List.of(Converters.each(mode.thresholds, "--thresholds", new Converters.Number()).stream()
                            .mapToDouble(Double::doubleValue).toArray())
                    : ExitThresholds.readVectors(mode.thresholdsFile);
            ExitTable scored = table.answeredBy(answer != null ? answer : org.anchornet.exits.Answer.EXIT_STAGE);
            for (int i = 0; i < vectors.size(); i++) { // every vector checked before anything is printed
                if (vectors.get(i).length > table.stages()) {
                    throw new IllegalArgumentException((vectors.size() > 1 ? "vector " + (i + 1) + ": " : "")
                            + vectors.get(i).length + " thresholds for a table of " + table.stages() + " stages");
                }
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (double[] v : vectors) {
                if (v.length != table.stages() && output == OutcomeReport.Format.TABLE) {
                    out.printf("note: %d thresholds for %d stages: scoring the first %d stages%n", v.length,
                            table.stages(), v.length);
                }
                outcomes.add(DynamicInference.evaluate(scored, v, costs));
            }
            OutcomeReport.printHeader(out, output, table, costs);
            OutcomeReport.print(out, output, outcomes, null);
        } else {
            if (answer != null) {
                throw new IllegalArgumentException("--answer goes with --thresholds or --thresholds-file; a fit"
                        + " chooses its own answer rule (--fit pj-most-confident to fit that one)");
            }
            TablePair parts = testTable != null ? new TablePair(table, ExitTable.read(testTable))
                    : TablePair.split(table, valFraction, seed);
            if ((mode.budgetMs != null) != (stageTimes != null)) {
                throw new IllegalArgumentException("--budget-ms and --stage-times go together: the stage times"
                        + " price the budget");
            }
            if (mode.sweep) {
                sweep(out, output, parts.validation(), parts.test(), costs);
            } else if (mode.budgetMs != null) {
                fitTime(out, output, parts, costs, StageTimesFile.read(stageTimes));
            } else {
                fitBudget(out, output, parts.validation(), parts.test(), costs, mode.budget * 1e9);
            }
        }
        out.flush();
        return 0;
    }

    private StageCosts costs(ExitTable table) {
        int stages = table.stages();
        if (downstreamGmacs != null || anchornetGmacs != null) {
            if (downstreamGmacs == null || anchornetGmacs == null) {
                throw new IllegalArgumentException("--downstream-gmacs and --anchornet-gmacs go together");
            }
            return StageCosts.of(stages, Math.round(downstreamGmacs * 1e9), Math.round(anchornetGmacs * 1e9));
        }
        if (arch == null && patchSize == null && table.metadata().stageCosts().isPresent()) {
            return new StageCosts(table.metadata().stageCosts().get());
        }
        String downstream = arch != null ? arch : table.metadata().arch().orElse(Architectures.REFERENCE_DOWNSTREAM);
        int patch = patchSize != null ? patchSize : table.metadata().patchSize().orElse(AnchorNet.window().size());
        return StageCostCounter.count(stages, downstream, patch, inputSize, numClasses);
    }

    private void fitBudget(PrintWriter out, OutcomeReport.Format output, ExitTable val, ExitTable test,
            StageCosts costs, double budget) {
        ThresholdFitter.Result result = new ThresholdFitter(val, costs).fit(budget, fit);
        if (output == OutcomeReport.Format.JSON) {
            out.println(JSON.toJson(FitReport.of(budget, result, test, costs)));
            return;
        }
        List<ThresholdSearch.Policy> policies = new ArrayList<>(result.candidates().values());
        List<Outcome> onTest = policies.stream().map(p -> p.scoreOn(test, costs))
                .toList();
        List<String> labels = policies.stream().map(p -> p.method() + (p.method().equals(result.chosen().key())
                ? " (chosen)" : "") + " on test").toList();
        if (output == OutcomeReport.Format.TABLE) {
            OutcomeReport.printHeader(out, output, test, costs);
            out.printf(Locale.ROOT, "budget %.4f G; thresholds fit on %d validation images, scored on %d test images%n",
                    budget / 1e9, val.images(), test.images());
            out.printf("fit: %s%s%n", fit.key(), fit == ThresholdFitter.Method.CROSS_VALIDATED
                    ? " -> " + ThresholdFitter.describe(result) : "");
            for (ThresholdSearch.Policy p : policies) {
                out.printf(Locale.ROOT, "%s: validation accuracy %.4f at %.4f G%n", p.method(),
                        p.validation().accuracy(), p.validation().meanGigaMultiplyAdds());
            }
        }
        OutcomeReport.print(out, output, onTest, labels);
    }

    /** A fit under a time budget: its thresholds, and on validation and test its top-1, time and multiply-adds. */
    private void fitTime(PrintWriter out, OutcomeReport.Format output, TablePair parts, StageCosts costs,
            StageTimesFile times) {
        ExitTable val = parts.validation();
        if (times.stages() != val.stages()) {
            throw new IllegalArgumentException(stageTimes + " has " + times.stages() + " stages, the table "
                    + val.stages());
        }
        val.metadata().arch().filter(a -> !a.equals(times.arch())).ifPresent(a -> {
            throw new IllegalArgumentException("the table was made with " + a + ", " + stageTimes + " timed "
                    + times.arch());
        });
        ThresholdSearch.Policy policy = new ThresholdFitter(val, times.costs()).fit(mode.budgetMs * 1e6, fit)
                .policy();
        ExitThresholds chosen = policy.exitThresholds();
        TimeFit report = new TimeFit(mode.budgetMs, times.msPerImage(), times.cpu(), policy.method(), chosen.stored(),
                chosen.answer().key(), TimeScore.of(val, chosen, times, costs),
                TimeScore.of(parts.test(), chosen, times, costs));
        if (output == OutcomeReport.Format.JSON) {
            out.println(JSON.toJson(report));
            return;
        }
        out.printf(Locale.ROOT, "budget %.2f ms per image, priced with %s (%s; the full network %.2f ms)%n",
                mode.budgetMs, stageTimes, times.cpu(), times.fullNetworkMs());
        out.printf("fit: %s -> thresholds %s%n", policy.method(), chosen);
        for (var split : List.of(java.util.Map.entry("validation", report.validation()),
                java.util.Map.entry("test", report.test()))) {
            TimeScore r = split.getValue();
            out.printf(Locale.ROOT, "%s (%d images): top-1 %.4f at %.2f ms, %.4f G multiply-adds per image%n",
                    split.getKey(), r.images(), r.top1(), r.meanMs(), r.meanGmacs());
        }
    }

    /** A fit under a time budget as {@code --json} writes it. */
    private record TimeFit(@SerializedName("budget_ms") double budgetMs, @SerializedName("stage_ms") double[] stageMs,
            String cpu, String method, List<Double> thresholds, String answer, TimeScore validation,
            TimeScore test) {}

    /** Thresholds scored on a table: top-1, and the mean cost in measured time and in multiply-adds. */
    private record TimeScore(int images, double top1, @SerializedName("mean_ms") double meanMs,
            @SerializedName("mean_gmacs") double meanGmacs) {
        static TimeScore of(ExitTable rows, ExitThresholds thresholds, StageTimesFile times, StageCosts costs) {
            Outcome time = DynamicInference.evaluate(rows, thresholds, times.costs());
            return new TimeScore(rows.images(), time.accuracy(), time.meanMultiplyAdds() / 1e6,
                    DynamicInference.evaluate(rows, thresholds, costs).meanGigaMultiplyAdds());
        }
    }

    private void sweep(PrintWriter out, OutcomeReport.Format output, ExitTable val, ExitTable test, StageCosts costs)
            throws IOException {
        if (budgetCount < 2 || budgetCount > MAX_BUDGETS) {
            throw new IllegalArgumentException("--budgets must lie in [2, " + MAX_BUDGETS + "], got " + budgetCount);
        }
        List<BudgetSweep.Point> points = BudgetSweep.run(val, test, costs,
                BudgetSweep.defaultBudgets(costs, budgetCount));
        String csv = FrontierReport.write(saveDir, "Early exit on " + test.metadata().setup() + " (test: "
                + test.images() + " images)", points, test, costs, List.of());
        if (output == OutcomeReport.Format.TABLE) {
            OutcomeReport.printSweep(out, points);
            out.println("wrote " + saveDir.resolve("frontier.csv") + ", frontier.png, frontier.svg");
        } else {
            out.print(csv);
        }
    }
}
