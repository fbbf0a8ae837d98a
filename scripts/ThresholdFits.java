// Held-out accuracy of each threshold fit on an exit table, over many seeded half/half splits: how often and by how
// much the default cross-validated choice, the coordinate search and bagged-search differ from p^j when scored on
// the half they were not fit on, and (column "both halves held out") each split's two directions pooled: the fit on
// either half scored on the other, so every one of the table's images is held out once, as the published figures
// score all 50,000.
// Run from the project root after a build:
//   java -Dai.djl.offline=true -cp "core/target/anchornet.jar:core/target/lib/*" scripts/ThresholdFits.java \
//     ../shared/fixtures/reference_table.pth [SPLITS] [BUDGETS_G]
// Defaults: 10 splits, budgets 1.0,1.25,1.5,1.78 G, stage costs of DenseNet-201 at 95 px with AnchorNet at 224 px.
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.anchornet.engine.StageCostCounter;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.TablePair;
import org.anchornet.exits.ThresholdFitter;

public class ThresholdFits {
    public static void main(String[] args) throws Exception {
        ExitTable table = ExitTable.read(Path.of(args[0]));
        int splits = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        double[] budgets = Arrays.stream((args.length > 2 ? args[2] : "1.0,1.25,1.5,1.78").split(","))
                .mapToDouble(Double::parseDouble).toArray();
        StageCosts costs = StageCostCounter.count(table.stages(), "densenet201", 95, 224, 1000);
        List<ThresholdFitter.Method> others = List.of(ThresholdFitter.Method.SEARCH,
                ThresholdFitter.Method.BAGGED_SEARCH, ThresholdFitter.Method.PJ_MOST_CONFIDENT);
        double[][] cv = new double[budgets.length][splits];
        double[][][] other = new double[others.size()][budgets.length][splits];
        double[][] pjAcc = new double[budgets.length][splits];
        double[][] cvCost = new double[budgets.length][splits];
        String[][] chosen = new String[budgets.length][splits];
        double[][] pooled = new double[budgets.length][splits];
        double[][] pooledPj = new double[budgets.length][splits];
        double[][] pooledCost = new double[budgets.length][splits];
        double[][] maxPooledCost = new double[budgets.length][splits];
        for (int s = 0; s < splits; s++) {
            TablePair halves = TablePair.split(table, 0.5, s);
            ThresholdFitter fitter = new ThresholdFitter(halves.validation(), costs);
            ThresholdFitter reverse = new ThresholdFitter(halves.test(), costs);
            for (int b = 0; b < budgets.length; b++) {
                double budget = budgets[b] * 1e9;
                ThresholdFitter.Result r = fitter.fit(budget);
                // every policy is scored under its own answer rule (scoreOn), never as bare thresholds
                Outcome pj = r.candidates().get(ThresholdFitter.Method.PJ).scoreOn(halves.test(), costs);
                Outcome chosenOutcome = r.policy().scoreOn(halves.test(), costs);
                pjAcc[b][s] = pj.accuracy();
                cv[b][s] = chosenOutcome.accuracy() - pj.accuracy();
                cvCost[b][s] = chosenOutcome.meanGigaMultiplyAdds();
                for (int m = 0; m < others.size(); m++) {
                    other[m][b][s] = r.candidates().get(others.get(m)).scoreOn(halves.test(), costs).accuracy()
                            - pj.accuracy();
                }
                chosen[b][s] = r.chosen().key();
                ThresholdFitter.Result rr = reverse.fit(budget);
                Outcome back = rr.policy().scoreOn(halves.validation(), costs);
                Outcome backPj = rr.candidates().get(ThresholdFitter.Method.PJ).scoreOn(halves.validation(), costs);
                int images = chosenOutcome.images() + back.images();
                pooled[b][s] = (double) (chosenOutcome.correct() + back.correct()) / images;
                pooledPj[b][s] = (double) (pj.correct() + backPj.correct()) / images;
                pooledCost[b][s] = (chosenOutcome.totalMultiplyAdds() + back.totalMultiplyAdds()) / 1e9 / images;
                maxPooledCost[b][s] = Math.max(chosenOutcome.meanGigaMultiplyAdds(), back.meanGigaMultiplyAdds());
            }
        }
        System.out.printf(Locale.ROOT, "%d half/half splits; held-out top-1 differences against p^j in points%n",
                splits);
        System.out.printf(Locale.ROOT, "%-8s %-14s %-22s %-22s %-22s %-22s %-10s %-30s %-14s %s%n", "budget",
                "pj held out", "cv - pj (mean ± sd)", "search - pj", "bagged-search - pj", "pj-most-conf. - pj",
                "cv < pj", "cv, both halves held out", "pj, both", "chosen");
        for (int b = 0; b < budgets.length; b++) {
            final int bb = b;
            long worse = Arrays.stream(cv[b]).filter(d -> d < 0).count();
            String picks = String.join(",", Arrays.stream(chosen[b]).distinct()
                    .map(k -> k + "×" + Arrays.stream(chosen[bb]).filter(k::equals).count()).toList());
            System.out.printf(Locale.ROOT,
                    "%-8.2f %-14s %-22s %-22s %-22s %-22s %-10s %-30s %-14s %s  (max cost held out %.3f G)%n",
                    budgets[b], String.format(Locale.ROOT, "%.2f%%", 100 * mean(pjAcc[b])), pm(cv[b]),
                    pm(other[0][b]), pm(other[1][b]), pm(other[2][b]), worse + "/" + splits,
                    String.format(Locale.ROOT, "%.3f%% ± %.3f at %.3f G", 100 * mean(pooled[b]), 100 * sd(pooled[b]),
                            mean(pooledCost[b])),
                    String.format(Locale.ROOT, "%.3f%%", 100 * mean(pooledPj[b])), picks,
                    Arrays.stream(maxPooledCost[b]).max().orElse(0));
            System.out.printf(Locale.ROOT, "         cv, both halves held out, per split: %s%n",
                    String.join(" ", Arrays.stream(pooled[b]).mapToObj(v -> String.format(Locale.ROOT, "%.3f",
                            100 * v)).toList()));
        }
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(0);
    }

    private static double sd(double[] v) {
        double m = mean(v);
        return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / Math.max(1, v.length - 1));
    }

    private static String pm(double[] v) {
        return String.format(Locale.ROOT, "%+.3f ± %.3f", 100 * mean(v), 100 * sd(v));
    }
}
