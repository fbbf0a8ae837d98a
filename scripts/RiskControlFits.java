// Risk-controlled thresholds (Learn-then-Test, RiskControl) on an exit table, over seeded half/half splits: fit on one
// half at each level ε, score on the other. Prints the held-out risk against ε (how often it exceeds ε), the cost and
// top-1, and p^j's held-out top-1 when given the same mean cost as a budget (the fair comparison at equal cost).
// Run from the project root after a build:
//   java -Dai.djl.offline=true -cp "core/target/anchornet.jar:core/target/lib/*" scripts/RiskControlFits.java \
//     ../shared/fixtures/reference_table.pth [SPLITS] [LEVELS] [DELTA] [RISK]
// Defaults: 10 splits, levels 0.005,0.01,0.02,0.05, δ 0.1, risk accuracy-loss (the authors' table has no classes);
// stage costs of DenseNet-201 at 95 px with AnchorNet at 224 px.
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.anchornet.engine.StageCostCounter;
import org.anchornet.exits.DynamicInference;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.RiskControl;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.TablePair;
import org.anchornet.exits.ThresholdFitter;

public class RiskControlFits {
    public static void main(String[] args) throws Exception {
        ExitTable table = ExitTable.read(Path.of(args[0]));
        int splits = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        double[] levels = Arrays.stream((args.length > 2 ? args[2] : "0.005,0.01,0.02,0.05").split(","))
                .mapToDouble(Double::parseDouble).toArray();
        double delta = args.length > 3 ? Double.parseDouble(args[3]) : 0.1;
        RiskControl.Risk risk = RiskControl.Risk.parse(args.length > 4 ? args[4] : "accuracy-loss");
        StageCosts costs = StageCostCounter.count(table.stages(), "densenet201", 95, 224, 1000);
        int n = levels.length;
        double[][] heldRisk = new double[n][splits];
        double[][] heldTop1 = new double[n][splits];
        double[][] heldCost = new double[n][splits];
        double[][] pjTop1 = new double[n][splits];
        double[][] lambda = new double[n][splits];
        double[] lastStage = new double[splits];
        for (int s = 0; s < splits; s++) {
            TablePair halves = TablePair.split(table, 0.5, s);
            ThresholdFitter pj = new ThresholdFitter(halves.validation(), costs);
            lastStage[s] = halves.test().stageAccuracy(table.stages() - 1);
            for (int l = 0; l < n; l++) {
                RiskControl.Result r = RiskControl.fit(halves.validation(), costs,
                        new RiskControl.Target(risk, levels[l], delta));
                Outcome held = DynamicInference.evaluate(halves.test(), r.thresholds(), costs);
                heldRisk[l][s] = RiskControl.empiricalRisk(halves.test(), r.thresholds(), risk);
                heldTop1[l][s] = held.accuracy();
                heldCost[l][s] = held.meanGigaMultiplyAdds();
                lambda[l][s] = r.lambda();
                // p^j given the risk-controlled fit's own cost on the fitting half as its budget
                double budget = r.calibration().meanMultiplyAdds();
                pjTop1[l][s] = DynamicInference.evaluate(halves.test(), pj.fit(budget, ThresholdFitter.Method.PJ)
                        .policy().thresholds(), costs).accuracy();
            }
        }
        System.out.printf(Locale.ROOT, "%d half/half splits, risk %s, δ %.2f; last stage alone: top-1 %.2f%% at %.3f G%n",
                splits, risk.key(), delta, 100 * mean(lastStage), costs.stage(table.stages() - 1) / 1e9);
        System.out.printf(Locale.ROOT, "%-7s %-9s %-18s %-9s %-16s %-16s %-20s%n", "level", "λ (mean)",
                "held-out risk", "> level", "held-out top-1", "held-out G", "p^j same cost − rc");
        for (int l = 0; l < n; l++) {
            final int ll = l;
            long over = Arrays.stream(heldRisk[l]).filter(v -> v > levels[ll]).count();
            double[] gap = new double[splits];
            for (int s = 0; s < splits; s++) {
                gap[s] = 100 * (pjTop1[l][s] - heldTop1[l][s]);
            }
            System.out.printf(Locale.ROOT, "%-7.3f %-9.4f %-18s %-9s %-16s %-16s %-20s%n", levels[l], mean(lambda[l]),
                    pm(scale(heldRisk[l], 100), "%.2f"), over + "/" + splits, pm(scale(heldTop1[l], 100), "%.2f"),
                    pm(heldCost[l], "%.3f"), pm(gap, "%+.2f"));
        }
    }

    private static double[] scale(double[] v, double f) {
        return Arrays.stream(v).map(x -> x * f).toArray();
    }

    private static double mean(double[] v) {
        return Arrays.stream(v).average().orElse(Double.NaN);
    }

    private static String pm(double[] v, String format) {
        double m = mean(v);
        double sd = Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / Math.max(1, v.length - 1));
        return String.format(Locale.ROOT, format + " ± " + format.replace("+", ""), m, sd);
    }
}
