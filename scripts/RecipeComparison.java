import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.ThresholdFitter;

/**
 * Per-seed tables of converged demo runs, one folder per recipe, for README and docs/benchmarks.md (issue 22): the
 * early-exit operating point against the full-resolution network and against the resolution-scaled curve (linear
 * between the measured sides, as the frontier plot draws it), the frontier points between 0.4 and 0.9 G, the stage
 * accuracies and the engine's measured speed-up; then the mean and spread over the seeds that finished.
 *
 * <pre>
 * java -cp "core/target/anchornet.jar:core/target/lib/*" scripts/RecipeComparison.java \
 *     paper=/work/exp/paper refined=/work/exp/refined[,/work/exp/refined-rerun] [seeds=0,1,2] [budget=0.43]
 * </pre>
 * Each folder holds seed-N/summary.json (the demo's summary of one seed); with several folders for a recipe, a seed is
 * taken from the first that has it. Missing seeds are listed, not guessed. With {@code budget=F} the operating point is
 * refit from each seed's saved tables (tables/anchornet_val.pth and _test.pth) under F times the seed's baseline, as
 * the demo fits it (cross-validated choice on validation, scored on test); a seed without tables keeps its run's point
 * and is marked. Every recipe after the first is also compared with the first at the same budgets of the demo's sweep.
 * With {@code scaled-from=S} (an aggregated summary.json), a seed run without resolution-scaled baselines
 * ({@code --resolutions none}) takes them from S's run of the same seed, provided both runs' full-resolution networks
 * score the same on test (the networks were retrained from the same seed and reproduced).
 */
public class RecipeComparison {
    static final double FRONTIER_LO = 0.4;
    static final double FRONTIER_HI = 0.9;

    record Seed(int seed, double top1, double gmacs, double share, double vsFull, double vsScaled, int aheadPoints,
            int frontierPoints, double worstFrontierMargin, double[] stages, double speedup, double macRatio,
            double budgetFraction, boolean refit) {}

    public static void main(String[] args) throws Exception {
        List<String> recipes = new ArrayList<>();
        List<String> dirs = new ArrayList<>();
        List<Integer> seeds = List.of(0, 1, 2);
        Double budgetFraction = null;
        JsonArray scaledRuns = null;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("arguments are name=folder or seeds=0,1,2, got " + a);
            }
            if (kv[0].equals("seeds")) {
                seeds = java.util.Arrays.stream(kv[1].split(",")).map(Integer::valueOf).toList();
            } else if (kv[0].equals("budget")) {
                budgetFraction = Double.valueOf(kv[1]);
            } else if (kv[0].equals("scaled-from")) {
                scaledRuns = JsonParser.parseString(Files.readString(Path.of(kv[1]))).getAsJsonObject()
                        .getAsJsonArray("runs");
            } else {
                recipes.add(kv[0]);
                dirs.add(kv[1]);
            }
        }
        for (int r = 0; r < recipes.size(); r++) {
            List<Seed> rows = new ArrayList<>();
            List<Integer> missing = new ArrayList<>();
            for (int s : seeds) {
                Path run = seedRun(dirs.get(r), s);
                if (run != null) {
                    JsonObject summary = JsonParser.parseString(Files.readString(run.resolve("summary.json")))
                            .getAsJsonObject();
                    rows.add(read(s, run, withScaledBaselines(summary, scaledRuns), budgetFraction));
                } else {
                    missing.add(s);
                }
            }
            print(recipes.get(r), dirs.get(r), rows, missing, budgetFraction);
        }
        for (int r = 1; r < recipes.size(); r++) {
            sameBudgets(recipes.get(0), dirs.get(0), recipes.get(r), dirs.get(r), seeds);
        }
    }

    /** The first of a recipe's comma-separated folders with a finished run of the seed, or null. */
    static Path seedRun(String folders, int seed) {
        for (String f : folders.split(",")) {
            Path run = Path.of(f).resolve("seed-" + seed);
            if (Files.isRegularFile(run.resolve("summary.json"))) {
                return run;
            }
        }
        return null;
    }

    /**
     * A recipe against the first one at the same budgets of the demo's sweep (both fit on validation under each
     * budget, scored on test), for the budgets between 0.4 and 0.9 G: accuracy difference and both test costs.
     */
    static void sameBudgets(String refName, String refDirs, String name, String dirs, List<Integer> seeds)
            throws Exception {
        System.out.printf(Locale.ROOT, "%n### %s against %s at the same budgets (test top-1 difference, points;"
                + " test G of each)%n%n", name, refName);
        for (int s : seeds) {
            Path a = seedRun(refDirs, s);
            Path b = seedRun(dirs, s);
            if (a == null || b == null) {
                continue;
            }
            JsonArray ref = frontier(a.resolve("summary.json"));
            JsonArray mine = frontier(b.resolve("summary.json"));
            StringBuilder line = new StringBuilder("seed " + s + ":");
            int ahead = 0;
            int count = 0;
            double sum = 0;
            for (int i = 0; i < Math.min(ref.size(), mine.size()); i++) {
                JsonObject p = ref.get(i).getAsJsonObject();
                JsonObject q = mine.get(i).getAsJsonObject();
                double budget = p.get("budget_gmacs").getAsDouble();
                if (budget < FRONTIER_LO || budget > FRONTIER_HI) {
                    continue;
                }
                double d = 100 * (q.get("test_top1").getAsDouble() - p.get("test_top1").getAsDouble());
                line.append(String.format(Locale.ROOT, " %.2f G: %+.2f (%.3f vs %.3f);", budget, d,
                        q.get("test_gmacs").getAsDouble(), p.get("test_gmacs").getAsDouble()));
                count++;
                sum += d;
                ahead += d > 0 ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "%s ahead at %d of %d, mean %+.2f%n", line, ahead, count, sum / count);
        }
    }

    static JsonArray frontier(Path summary) throws Exception {
        return JsonParser.parseString(Files.readString(summary)).getAsJsonObject().getAsJsonObject("frontier")
                .getAsJsonArray("anchornet");
    }

    /** The summary with another run's resolution-scaled baselines when it has none of its own (see scaled-from). */
    static JsonObject withScaledBaselines(JsonObject d, JsonArray scaledRuns) {
        // a run's resolutions always hold the glance's 95 px and the full side; any more are scaled baselines
        if (scaledRuns == null || d.getAsJsonArray("resolutions").size() > 2) {
            return d;
        }
        long seed = d.getAsJsonObject("settings").get("seed").getAsLong();
        double mine = d.getAsJsonObject("baseline").get("test_top1").getAsDouble();
        for (JsonElement e : scaledRuns) {
            JsonObject other = e.getAsJsonObject();
            if (other.getAsJsonObject("settings").get("seed").getAsLong() != seed) {
                continue;
            }
            double theirs = other.getAsJsonObject("baseline").get("test_top1").getAsDouble();
            if (mine != theirs) {
                throw new IllegalArgumentException("seed " + seed + ": the full network scores " + mine + " here and "
                        + theirs + " in the run the scaled baselines would come from: not the same networks");
            }
            JsonObject merged = d.deepCopy();
            merged.add("resolutions", other.getAsJsonArray("resolutions").deepCopy());
            System.out.printf(Locale.ROOT, "(seed %d: resolution-scaled baselines from the scaled-from run, whose full"
                    + " network also scores %.2f%%)%n", seed, 100 * mine);
            return merged;
        }
        return d;
    }

    static Seed read(int seed, Path run, JsonObject d, Double refitFraction) throws Exception {
        double fullTop1 = d.getAsJsonObject("baseline").get("test_top1").getAsDouble();
        double fullG = d.getAsJsonObject("baseline").get("gmacs").getAsDouble();
        List<double[]> curve = new ArrayList<>();
        for (JsonElement e : d.getAsJsonArray("resolutions")) {
            JsonObject o = e.getAsJsonObject();
            curve.add(new double[] {o.get("gmacs").getAsDouble(), o.get("test_top1").getAsDouble()});
        }
        curve.sort((a, b) -> Double.compare(a[0], b[0]));
        JsonObject ee = d.getAsJsonObject("early_exit").getAsJsonObject("anchornet");
        double top1 = ee.get("test_top1").getAsDouble();
        double g = ee.get("test_gmacs").getAsDouble();
        double fraction = d.getAsJsonObject("settings").get("budget_fraction").getAsDouble();
        Path val = run.resolve("tables").resolve("anchornet_val.pth");
        Path test = run.resolve("tables").resolve("anchornet_test.pth");
        boolean refit = refitFraction != null && Files.isRegularFile(val) && Files.isRegularFile(test);
        if (refit) {
            ExitTable validation = ExitTable.read(val);
            StageCosts costs = new StageCosts(validation.metadata().stageCosts().orElseThrow(
                    () -> new IllegalArgumentException(val + " records no stage costs")));
            ThresholdFitter.Result fit = new ThresholdFitter(validation, costs).fit(refitFraction * fullG * 1e9);
            Outcome onTest = fit.policy().scoreOn(ExitTable.read(test), costs);
            top1 = onTest.accuracy();
            g = onTest.meanGigaMultiplyAdds();
            fraction = refitFraction;
        }
        int ahead = 0;
        int points = 0;
        double worst = Double.POSITIVE_INFINITY;
        java.util.Set<String> seen = new java.util.HashSet<>(); // larger budgets often repeat a cheaper fit
        for (JsonElement e : d.getAsJsonObject("frontier").getAsJsonArray("anchornet")) {
            JsonObject p = e.getAsJsonObject();
            double pg = p.get("test_gmacs").getAsDouble();
            if (pg >= FRONTIER_LO && pg <= FRONTIER_HI && seen.add(pg + "/" + p.get("test_top1"))) {
                double margin = p.get("test_top1").getAsDouble() - scaled(curve, pg);
                points++;
                ahead += margin > 0 ? 1 : 0;
                worst = Math.min(worst, margin);
            }
        }
        JsonArray st = ee.getAsJsonArray("test_top1_at_stage");
        double[] stages = new double[st.size()];
        for (int i = 0; i < stages.length; i++) {
            stages[i] = st.get(i).getAsDouble();
        }
        JsonObject bench = d.getAsJsonObject("bench");
        return new Seed(seed, top1, g, g / fullG, top1 - fullTop1, top1 - scaled(curve, g), ahead, points, worst,
                stages, bench.get("speedup").getAsDouble(), bench.get("multiply_add_ratio").getAsDouble(), fraction,
                refit);
    }

    /** The resolution-scaled networks' accuracy at a cost, linear between the measured sides. */
    static double scaled(List<double[]> curve, double g) {
        for (int i = 1; i < curve.size(); i++) {
            double[] a = curve.get(i - 1);
            double[] b = curve.get(i);
            if (g <= b[0] || i == curve.size() - 1) {
                return a[1] + (b[1] - a[1]) * (g - a[0]) / (b[0] - a[0]);
            }
        }
        return curve.get(0)[1];
    }

    static void print(String recipe, String dirs, List<Seed> rows, List<Integer> missing, Double refitFraction) {
        System.out.printf(Locale.ROOT, "%n### %s (%s)%s%n%n", recipe, dirs, missing.isEmpty() ? ""
                : " — not finished: seed " + missing);
        System.out.println("| seed | budget | test top-1 | G | share of full | vs full | vs scaled | distinct frontier"
                + " points in 0.4–0.9 G ahead (worst margin) | stages 1..5 | engine (MAC ratio) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Seed s : rows) {
            StringBuilder st = new StringBuilder();
            for (double v : s.stages()) {
                st.append(st.isEmpty() ? "" : " / ").append(String.format(Locale.ROOT, "%.2f", 100 * v));
            }
            String budget = String.format(Locale.ROOT, "%.0f%%%s", 100 * s.budgetFraction(), s.refit() ? " (refit)"
                    : refitFraction != null ? " (its run's: no tables)" : "");
            System.out.printf(Locale.ROOT, "| %d | %s | %.2f%% | %.3f | %.1f%% | %+.2f | %+.2f | %d of %d (%+.2f)"
                    + " | %s | %.2f× (%.2f×) |%n", s.seed(), budget, 100 * s.top1(), s.gmacs(), 100 * s.share(),
                    100 * s.vsFull(), 100 * s.vsScaled(), s.aheadPoints(), s.frontierPoints(),
                    100 * s.worstFrontierMargin(), st, s.speedup(), s.macRatio());
        }
        if (rows.size() > 1) {
            System.out.printf(Locale.ROOT, "| mean ± sd | | %s | %s | %s | %s | %s | | | |%n",
                    spread(rows.stream().mapToDouble(s -> 100 * s.top1()).toArray(), "%"),
                    spread(rows.stream().mapToDouble(Seed::gmacs).toArray(), ""),
                    spread(rows.stream().mapToDouble(s -> 100 * s.share()).toArray(), "%"),
                    spread(rows.stream().mapToDouble(s -> 100 * s.vsFull()).toArray(), ""),
                    spread(rows.stream().mapToDouble(s -> 100 * s.vsScaled()).toArray(), ""));
        }
        if (refitFraction != null) {
            System.out.println("(engine: timed on each run's own cascade, at its run's budget)");
        }
    }

    /** Mean ± sample standard deviation. */
    static String spread(double[] v, String unit) {
        double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
        double ss = java.util.Arrays.stream(v).map(x -> (x - mean) * (x - mean)).sum();
        return String.format(Locale.ROOT, "%.2f ± %.2f%s", mean, Math.sqrt(ss / (v.length - 1)), unit);
    }
}
