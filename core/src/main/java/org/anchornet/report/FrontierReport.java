package org.anchornet.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.anchornet.exits.BudgetSweep;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.io.AtomicFiles;

/** The accuracy-vs-cost frontier of a budget sweep as {@code frontier.csv}, {@code frontier.png} and {@code .svg}. */
public final class FrontierReport {
    private static final java.util.Map<ThresholdFitter.Method, String> SERIES_NAMES = java.util.Map.of(
            ThresholdFitter.Method.CROSS_VALIDATED, "cross-validated choice (default)",
            ThresholdFitter.Method.SEARCH, "searched thresholds", ThresholdFitter.Method.PJ, "p^j (MSDNet/GFNet)");

    private FrontierReport() {}

    /**
     * Writes the sweep's points (fit on validation, scored on test) and the fixed-stage points of the test table;
     * {@code extra} adds markers such as a baseline. Returns the CSV text.
     */
    public static String write(Path dir, String title, List<BudgetSweep.Point> points, ExitTable test,
            StageCosts costs, List<Charts.Series> extra) throws IOException {
        StringBuilder csv = new StringBuilder("budget_gmacs,method,val_accuracy,val_gmacs,test_accuracy,test_gmacs,"
                + "thresholds\n");
        for (BudgetSweep.Point p : points) {
            csv.append(String.format(Locale.ROOT, "%.6f,%s,%.6f,%.6f,%.6f,%.6f,%s%n", p.budget() / 1e9, p.method(),
                    p.validation().accuracy(), p.validation().meanGigaMultiplyAdds(), p.test().accuracy(),
                    p.test().meanGigaMultiplyAdds(), OutcomeReport.thresholds(p.thresholds(), ";")));
        }
        double[] stageX = new double[test.stages()];
        double[] stageY = new double[test.stages()];
        for (int j = 0; j < test.stages(); j++) {
            stageX[j] = costs.stage(j) / 1e9;
            stageY[j] = 100 * test.stageAccuracy(j);
            csv.append(String.format(Locale.ROOT, ",stage %d only,,,%.6f,%.6f,%n", j + 1, test.stageAccuracy(j),
                    stageX[j]));
        }
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("frontier.csv"), csv.toString());
        List<Charts.Series> series = new ArrayList<>();
        for (ThresholdFitter.Method method : List.of(ThresholdFitter.Method.CROSS_VALIDATED,
                ThresholdFitter.Method.SEARCH, ThresholdFitter.Method.PJ)) {
            List<BudgetSweep.Point> mine = BudgetSweep.of(points, method);
            series.add(new Charts.Series(SERIES_NAMES.get(method),
                    mine.stream().mapToDouble(p -> p.test().meanGigaMultiplyAdds()).toArray(),
                    mine.stream().mapToDouble(p -> 100 * p.test().accuracy()).toArray(), true));
        }
        series.add(new Charts.Series("every image stops at stage j (1 = glance only)", stageX, stageY, false));
        series.addAll(extra);
        Charts.save(Charts.xy(title, "mean multiply-adds per image (G)", "top-1 accuracy (%)", series), dir,
                "frontier", 900, 560);
        return csv.toString();
    }
}
