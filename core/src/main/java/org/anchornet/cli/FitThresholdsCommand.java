package org.anchornet.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.ThresholdFitting;
import org.anchornet.exits.DynamicInference;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.TablePair;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.exits.ThresholdSearch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet fit-thresholds}: new exit thresholds for a cascade package, fit on a validation table. */
@Command(name = "fit-thresholds", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fit a cascade's exit thresholds on a validation exit table (made by make-table with the same"
                + " cascade) under a budget of multiply-adds per image, and write a new package with them. The"
                + " networks are copied unchanged; the package records how the thresholds were fit.")
final class FitThresholdsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--cascade", required = true, paramLabel = "PACKAGE", description = "The cascade package to"
            + " start from (folder or .zip).")
    Path cascade;

    @Option(names = "--table", required = true, description = "Validation exit table (e.g. make-table --split val).")
    Path table;

    @Option(names = "--budget", required = true, converter = Converters.PositiveDouble.class,
            description = "Mean G multiply-adds per image allowed.")
    double budget;

    @Option(names = "--fit", converter = Converters.FitMethod.class, defaultValue = "cv",
            description = Converters.FIT_HELP)
    ThresholdFitter.Method fit;

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
        ExitTable all = ExitTable.read(table);
        TablePair parts = valFraction != null ? TablePair.split(all, valFraction, seed) : null;
        ExitTable fitOn = parts != null ? parts.validation() : all;
        try (CascadePackage in = CascadePackage.read(cascade)) {
            CascadeConfig config = in.config();
            ThresholdSearch.Policy policy = ThresholdFitting.fit(config, fitOn, budget * 1e9, fit);
            String split = parts != null ? String.format(Locale.ROOT, "%.0f%% of the rows (seed %d)",
                    100 * valFraction, seed) : "all rows";
            CascadeConfig fitted = config.withThresholds(ThresholdFitting.stored(policy),
                    ThresholdFitting.describe(policy, budget * 1e9, table.getFileName().toString(), split, fitOn));
            in.copyTo(out, fitted);
            w.printf(Locale.ROOT, "thresholds %s (%s) fit on %d images (%s): top-1 %.4f at %.4f G (budget %.4f G)%n",
                    fitted.thresholds(), policy.method(), fitOn.images(), split, policy.validation().accuracy(),
                    policy.validation().meanGigaMultiplyAdds(), budget);
            if (parts != null) {
                Outcome held = DynamicInference.evaluate(parts.test(), policy.thresholds(),
                        config.costs());
                w.printf(Locale.ROOT, "held-out %d images: top-1 %.4f at %.4f G%n", parts.test().images(),
                        held.accuracy(), held.meanGigaMultiplyAdds());
            }
            w.printf("wrote %s%n", out);
        }
        w.flush();
        return 0;
    }
}
