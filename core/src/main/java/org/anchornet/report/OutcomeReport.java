package org.anchornet.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.anchornet.exits.BudgetSweep;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.StageCosts;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** Early-exit outcomes (thresholds scored on an exit table) for people, as CSV, or as JSON. */
public final class OutcomeReport {
    private static final Gson JSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues()
            .create();

    /** How {@code dynamic-inference} prints. */
    public enum Format {
        TABLE, CSV, JSON;

        public static Format parse(String name) {
            for (Format f : values()) {
                if (f.name().equalsIgnoreCase(name)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("--format must be table, csv or json, got " + name);
        }
    }

    /** One outcome in JSON; thresholds that never or always exit are spelled "inf" and "-inf". */
    record Row(String method, List<Object> thresholds, double accuracy, @SerializedName("mean_gmacs") double meanGmacs,
            int images, int exited, @SerializedName("exits_per_stage") int[] exitsPerStage,
            @SerializedName("correct_per_stage") int[] correctPerStage) {}

    private OutcomeReport() {}

    /** The table's size and stage costs, for the human-readable format only. */
    public static void printHeader(PrintWriter out, Format format, ExitTable table, StageCosts costs) {
        if (format != Format.TABLE) {
            return;
        }
        out.printf(Locale.ROOT, "table %s: %d images, %d stages; stage costs (G): %s%n", table.metadata().setup(),
                table.images(), table.stages(), Arrays.stream(costs.perStage())
                        .mapToObj(c -> String.format(Locale.ROOT, "%.4f", c / 1e9)).collect(Collectors.joining(" ")));
    }

    /** Prints each outcome; {@code labels} (or null) names them, e.g. the fit that chose the thresholds. */
    public static void print(PrintWriter out, Format format, List<Outcome> outcomes, List<String> labels) {
        switch (format) {
            case CSV -> printCsv(out, outcomes);
            case JSON -> {
                List<Row> rows = new ArrayList<>();
                for (int i = 0; i < outcomes.size(); i++) {
                    Outcome o = outcomes.get(i);
                    rows.add(new Row(labels == null ? null : labels.get(i), Arrays.stream(o.thresholds())
                            .mapToObj(OutcomeReport::jsonNumber).toList(), o.accuracy(), o.meanGigaMultiplyAdds(),
                            o.images(), o.exited(), o.exits(), o.correctExits()));
                }
                out.println(JSON.toJson(rows));
            }
            case TABLE -> {
                for (int i = 0; i < outcomes.size(); i++) {
                    printTable(out, outcomes.get(i), labels == null ? "" : labels.get(i) + ": ");
                }
            }
        }
    }

    private static void printTable(PrintWriter out, Outcome o, String label) {
        out.printf(Locale.ROOT, "%sthresholds %s: accuracy %.4f, %.4f G multiply-adds per image%n", label,
                thresholds(o.thresholds(), " "), o.accuracy(), o.meanGigaMultiplyAdds());
        out.printf("  stage  exits  correct%n");
        for (int j = 0; j < o.exits().length; j++) {
            out.printf(Locale.ROOT, "  %5d  %5d  %7d%n", j + 1, o.exits()[j], o.correctExits()[j]);
        }
        if (o.exited() < o.images()) {
            out.printf("  %d images never passed a threshold (no prediction, no cost)%n", o.images() - o.exited());
        }
    }

    private static void printCsv(PrintWriter out, List<Outcome> outcomes) {
        try {
            CSVPrinter csv = CSVFormat.DEFAULT.builder().setRecordSeparator('\n').setHeader("thresholds", "accuracy",
                    "mean_gmacs", "exited", "exits_per_stage", "correct_per_stage").get().print(out);
            for (Outcome o : outcomes) {
                csv.printRecord(thresholds(o.thresholds(), ";"), String.format(Locale.ROOT, "%.6f", o.accuracy()),
                        String.format(Locale.ROOT, "%.6f", o.meanGigaMultiplyAdds()), o.exited(), join(o.exits()),
                        join(o.correctExits()));
            }
            csv.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A sweep's points, one line each, for people. */
    public static void printSweep(PrintWriter out, List<BudgetSweep.Point> points) {
        out.printf(Locale.ROOT, "%-8s %-8s %-10s %-10s %-10s %-10s%n", "budget", "method", "val acc", "val G",
                "test acc", "test G");
        for (BudgetSweep.Point p : points) {
            out.printf(Locale.ROOT, "%-8.4f %-8s %-10.4f %-10.4f %-10.4f %-10.4f%n", p.budget() / 1e9, p.method(),
                    p.validation().accuracy(), p.validation().meanGigaMultiplyAdds(), p.test().accuracy(),
                    p.test().meanGigaMultiplyAdds());
        }
    }

    /** Thresholds to six significant digits without trailing zeros; "inf"/"-inf" for never/always. */
    public static String thresholds(double[] t, String separator) {
        return Arrays.stream(t).mapToObj(v -> Double.isInfinite(v) ? (v > 0 ? "inf" : "-inf")
                : new BigDecimal(String.format(Locale.ROOT, "%.6g", v)).stripTrailingZeros().toPlainString())
                .collect(Collectors.joining(separator));
    }

    private static Object jsonNumber(double v) {
        return Double.isInfinite(v) ? (v > 0 ? "inf" : "-inf") : v;
    }

    private static String join(int[] values) {
        return Arrays.stream(values).mapToObj(Integer::toString).collect(Collectors.joining(";"));
    }
}
