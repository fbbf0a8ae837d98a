package org.anchornet.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.StageTimesFile;
import org.anchornet.engine.ThresholdFitting;
import org.anchornet.exits.DynamicInference;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.RiskControl;
import org.anchornet.exits.TablePair;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.exits.ThresholdSearch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet fit-thresholds}: new exit thresholds for a cascade package, fit on a validation table. */
@Command(name = "fit-thresholds", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fit a cascade's exit thresholds on a validation exit table (made by make-table with the same"
                + " cascade), under a budget of multiply-adds or of measured milliseconds per image, or with a risk guarantee, and write a new"
                + " package with them. The networks are copied unchanged; the package records how the thresholds"
                + " were fit.")
final class FitThresholdsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--cascade", required = true, paramLabel = "PACKAGE", description = "The cascade package to"
            + " start from (folder or .zip).")
    Path cascade;

    @Option(names = "--table", required = true, description = "Validation exit table (e.g. make-table --split val).")
    Path table;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Objective objective;

    /** What the thresholds aim at: a cost, or a guarantee. */
    static final class Objective {
        @Option(names = "--budget", converter = Converters.PositiveDouble.class,
                description = "Mean G multiply-adds per image allowed.")
        Double budget;

        @Option(names = "--budget-ms", converter = Converters.PositiveDouble.class,
                description = "Instead of multiply-adds: mean milliseconds per image allowed, priced with the stage"
                        + " times of --stage-times.")
        Double budgetMs;

        @Option(names = "--max-risk", converter = Converters.Fraction.class, description = "Instead of a budget:"
                + " the cheapest shared threshold of the early stages such that, with probability 1 - DELTA, at"
                + " most this share of images get an early answer that is a loss (--risk); Learn-then-Test on the"
                + " table.")
        Double maxRisk;
    }

    @Option(names = "--stage-times", paramLabel = "FILE", description = "With --budget-ms: each stage's time per"
            + " image on the machine that will run the cascade (bench --stage-times on this cascade writes it).")
    Path stageTimes;

    @Option(names = "--fit", converter = Converters.FitMethod.class, defaultValue = "cv",
            description = Converters.FIT_HELP + " With --budget or --budget-ms.")
    ThresholdFitter.Method fit;

    @Option(names = "--risk", converter = Converters.RiskKind.class, defaultValue = "disagreement",
            description = "With --max-risk, what counts as a loss: disagreement (default: the early answer differs"
                    + " from the last stage's; needs no labels) or accuracy-loss (the early answer is wrong where the"
                    + " last stage is right; bounds the drop in top-1).")
    RiskControl.Risk risk;

    @Option(names = "--delta", converter = Converters.Fraction.class, defaultValue = "0.1",
            description = "With --max-risk, the chance the guarantee may fail (default ${DEFAULT-VALUE}).")
    double delta;

    @Option(names = "--val-fraction", converter = Converters.Fraction.class, description = "Fit on this share of"
            + " the table's rows (a seeded split) instead of all of them, and report the rest as a held-out check.")
    Double valFraction;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the --val-fraction split (default"
            + " ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "PACKAGE", description = "Where the new package goes (a"
            + " folder, or a .zip).")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        boolean riskControlled = objective.maxRisk != null;
        for (String flag : riskControlled ? List.of("--fit") : List.of("--risk", "--delta")) {
            if (spec.commandLine().getParseResult().hasMatchedOption(flag)) {
                throw new IllegalArgumentException(flag + " goes with " + (riskControlled ? "--budget" : "--max-risk"));
            }
        }
        if ((objective.budgetMs != null) != (stageTimes != null)) {
            throw new IllegalArgumentException("--budget-ms and --stage-times go together: the stage times price the"
                    + " budget");
        }
        StageTimesFile times = stageTimes == null ? null : StageTimesFile.read(stageTimes);
        ExitTable all = ExitTable.read(table);
        TablePair parts = valFraction != null ? TablePair.split(all, valFraction, seed) : null;
        ExitTable fitOn = parts != null ? parts.validation() : all;
        try (CascadePackage in = CascadePackage.read(cascade)) {
            CascadeConfig config = in.config();
            String split = parts != null ? String.format(Locale.ROOT, "%.0f%% of the rows (seed %d)",
                    100 * valFraction, seed) : "all rows";
            String tableName = table.getFileName().toString();
            CascadeConfig fitted;
            Outcome onFit;
            if (riskControlled) {
                RiskControl.Result r = ThresholdFitting.fitRisk(config, fitOn, new RiskControl.Target(risk,
                        objective.maxRisk, delta));
                fitted = config.withThresholds(ExitThresholds.of(r.thresholds()), ThresholdFitting.describe(r,
                        tableName, split, fitOn));
                onFit = r.calibration();
                w.println(RiskControl.describe(r));
            } else if (times != null) {
                ThresholdSearch.Policy policy = ThresholdFitting.fitTime(config, fitOn, objective.budgetMs, times,
                        stageTimes, fit);
                fitted = config.withThresholds(ThresholdFitting.stored(policy), ThresholdFitting.describeTime(policy,
                        objective.budgetMs, times, config, tableName, split, fitOn));
                onFit = DynamicInference.evaluate(fitOn, fitted.exitThresholds(), config.costs());
                w.printf(Locale.ROOT, "priced with %s's stage times (%s): %.2f ms per image on validation (budget"
                        + " %.2f ms; the full network %.2f ms)%n", stageTimes, times.cpu(),
                        fitted.thresholdFit().timeBudget().validationMs(), objective.budgetMs, times.fullNetworkMs());
            } else {
                ThresholdSearch.Policy policy = ThresholdFitting.fit(config, fitOn, objective.budget * 1e9, fit);
                fitted = config.withThresholds(ThresholdFitting.stored(policy), ThresholdFitting.describe(policy,
                        objective.budget * 1e9, tableName, split, fitOn));
                onFit = policy.validation();
            }
            in.copyTo(out, fitted);
            w.printf(Locale.ROOT, "thresholds %s (%s) fit on %d images (%s): top-1 %.4f at %.4f G%s%n",
                    fitted.thresholds(), fitted.thresholdFit().method(), fitOn.images(), split, onFit.accuracy(),
                    onFit.meanGigaMultiplyAdds(), objective.budget == null ? "" : String.format(Locale.ROOT,
                            " (budget %.4f G)", objective.budget));
            if (parts != null) {
                Outcome held = DynamicInference.evaluate(parts.test(), fitted.exitThresholds(), config.costs());
                w.printf(Locale.ROOT, "held-out %d images: top-1 %.4f at %.4f G", parts.test().images(),
                        held.accuracy(), held.meanGigaMultiplyAdds());
                if (times != null) {
                    w.printf(Locale.ROOT, ", %.2f ms", DynamicInference.evaluate(parts.test(),
                            fitted.exitThresholds(), times.costs()).meanMultiplyAdds() / 1e6);
                }
                if (riskControlled) { // the fit has checked that the table holds what the risk needs
                    w.printf(Locale.ROOT, ", %s %.4f", risk.key(), RiskControl.empiricalRisk(parts.test(),
                            onFit.thresholds(), risk));
                }
                w.println();
            }
            w.printf("wrote %s%n", out);
        }
        w.flush();
        return 0;
    }
}
