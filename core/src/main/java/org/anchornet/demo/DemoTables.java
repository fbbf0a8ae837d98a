package org.anchornet.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ImageDataset;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.ExitTableMaker;
import org.anchornet.exits.BudgetSweep;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.TablePair;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.exits.ThresholdSearch;
import org.anchornet.localize.WindowSource;

/**
 * Exit tables on validation and test for each window source (AnchorNet's, random, centre: the same networks and
 * costs, so the ablation is at equal cost), thresholds fit on validation under the budget and scored on test, and the
 * frontier over a sweep of budgets. Tables are kept under {@code tables/} and read back when the run resumes.
 */
final class DemoTables {
    /** The window sources, in report order. */
    static final List<String> SOURCES = List.of("anchornet", "random", "centre");
    /**
     * A stage recipe's run also scores the paper's patch network, with AnchorNet's windows and the same other
     * networks, so each run compares its recipe with the paper's on the same seed (its tables: {@code paper-patch_*}).
     */
    static final String PAPER_PATCH = "paper-patch";

    private final DemoSettings s;
    private final PrintWriter log;
    private final Path dir;

    DemoTables(DemoSettings settings, PrintWriter log) {
        this.s = settings;
        this.log = log;
        this.dir = settings.outDir().resolve("tables");
    }

    /** Validation and test tables of every source, made with the cascade's networks (or read back). */
    Map<String, TablePair> make(Cascade cascade, ImageDataset val, ImageDataset test) throws IOException {
        Map<String, TablePair> tables = new LinkedHashMap<>();
        for (String source : SOURCES) {
            tables.put(source, new TablePair(table(cascade, source, source, "val", val), table(cascade, source,
                    source, "test", test)));
        }
        return tables;
    }

    /** Validation and test tables of AnchorNet's windows with the paper's patch network (a cascade holding it). */
    TablePair paperPatch(Cascade paper, ImageDataset val, ImageDataset test) throws IOException {
        return new TablePair(table(paper, "anchornet", PAPER_PATCH, "val", val), table(paper, "anchornet", PAPER_PATCH,
                "test", test));
    }

    /** What a run scored, in report order: the window sources, then the paper's patch network if every run has it. */
    static List<String> methods(List<DemoSummary> runs) {
        List<String> out = new ArrayList<>(SOURCES);
        if (runs.stream().allMatch(r -> r.earlyExit().containsKey(PAPER_PATCH))) {
            out.add(PAPER_PATCH);
        }
        return out;
    }

    private ExitTable table(Cascade cascade, String source, String name, String split, ImageDataset data)
            throws IOException {
        Path file = dir.resolve(name + "_" + split + ".pth");
        if (Files.exists(file)) {
            return ExitTable.read(file);
        }
        cascade.useChunks(s.batchSize());
        CascadeConfig c = cascade.config();
        ExitTable.Metadata meta = ExitTableMaker.metadata(c.arch(), c.patchSize(), c.iouThresholds(), c.costs(),
                name + "_");
        ExitTable table;
        try (BatchLoader loader = new BatchLoader(data, (img, r) -> cascade.preprocess(img),
                new BatchLoader.Options(s.batchSize(), s.workers(), 4, false, false), w -> log.println("warning: " + w))) {
            table = cascade.exitTable(loader, meta, done -> { }, windows(cascade, source));
        }
        table.write(file);
        return table;
    }

    private WindowSource windows(Cascade cascade, String source) {
        var proposer = cascade.localizer().proposer();
        return switch (source) {
            case "anchornet" -> WindowSource.anchorNet(cascade.localizer());
            case "random" -> WindowSource.random(proposer, s.seed() + 17);
            case "centre" -> WindowSource.centre(proposer);
            default -> throw new IllegalArgumentException("no window source " + source);
        };
    }

    /** Thresholds of one source under the budget, fit on validation by {@code fit}. */
    static ThresholdFitter.Result policy(TablePair tables, StageCosts costs, double budget,
            ThresholdFitter.Method fit) {
        return new ThresholdFitter(tables.validation(), costs).fit(budget, fit);
    }

    /** A policy scored on test, with the fixed-stage accuracies of the source. */
    static DemoSummary.Method method(TablePair tables, StageCosts costs, ThresholdSearch.Policy policy) {
        Outcome onTest = policy.scoreOn(tables.test(), costs);
        Outcome onValidation = policy.scoreOn(tables.validation(), costs); // the fit may have priced stages in time
        double[] atStage = IntStream.range(0, costs.stages()).mapToDouble(j -> tables.test().stageAccuracy(j))
                .toArray();
        return new DemoSummary.Method(policy.exitThresholds().stored(),
                onValidation.accuracy(), onValidation.meanGigaMultiplyAdds(), onTest.accuracy(),
                onTest.meanGigaMultiplyAdds(), onTest.exits(), atStage);
    }

    /** Budgets evenly spaced from the glance to the last stage, each fit on validation and scored on test. */
    static List<DemoSummary.FrontierPoint> frontier(TablePair tables, StageCosts costs, ThresholdFitter.Method fit) {
        List<DemoSummary.FrontierPoint> points = new ArrayList<>();
        for (BudgetSweep.Point p : BudgetSweep.of(BudgetSweep.run(tables.validation(), tables.test(), costs,
                BudgetSweep.defaultBudgets(costs, 16)), fit)) {
            points.add(new DemoSummary.FrontierPoint(p.budget() / 1e9, p.validation().accuracy(),
                    p.test().accuracy(), p.test().meanGigaMultiplyAdds()));
        }
        return points;
    }
}
