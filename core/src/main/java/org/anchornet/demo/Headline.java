package org.anchornet.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The demo's headline figures and comparisons, over one or several seeds: each as mean ± standard deviation with the
 * per-seed values, and each comparison with the number of seeds in which it keeps its sign.
 */
record Headline(List<Row> rows, List<Comparison> comparisons) {
    /** A method's test top-1 (%) and cost (G multiply-adds per image). */
    record Row(String method, Stat top1, Stat gmacs, Stat shareOfBaseline) {}

    /** A difference that should keep its sign in every seed. */
    record Comparison(String what, String unit, Stat difference, int positive, int seeds) {
        boolean signKept() {
            return positive == seeds || positive == 0;
        }
    }

    /** Mean, sample standard deviation and the values. */
    record Stat(double mean, double std, double[] values) {
        static Stat of(List<DemoSummary> runs, ToDoubleFunction<DemoSummary> f) {
            double[] v = runs.stream().mapToDouble(f).toArray();
            double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
            double ss = 0;
            for (double x : v) {
                ss += (x - mean) * (x - mean);
            }
            return new Stat(mean, v.length > 1 ? Math.sqrt(ss / (v.length - 1)) : 0, v);
        }
    }

    static Headline of(List<DemoSummary> runs) {
        List<Row> rows = new ArrayList<>();
        rows.add(row(runs, "full-resolution baseline", s -> s.baseline().testTop1(), s -> s.baseline().gmacs()));
        int count = runs.get(0).resolutions().size();
        for (int i = 0; i < count; i++) {
            final int r = i;
            int side = runs.get(0).resolutions().get(i).side();
            if (side == runs.get(0).settings().canvas()) {
                continue;
            }
            String name = side == DemoTraining.glanceSize() ? "glance only (whole canvas at " + side + " px)"
                    : "resolution-scaled baseline at " + side + " px";
            rows.add(row(runs, name, s -> s.resolutions().get(r).testTop1(), s -> s.resolutions().get(r).gmacs()));
        }
        List<String> methods = DemoTables.methods(runs);
        for (String source : methods) {
            rows.add(row(runs, label(source), s -> s.earlyExit().get(source).testTop1(),
                    s -> s.earlyExit().get(source).testGmacs()));
        }
        List<Comparison> comparisons = new ArrayList<>();
        comparisons.add(comparison(runs, "early exit (AnchorNet) − full-resolution baseline, top-1", "points",
                s -> 100 * (s.anchorNet().testTop1() - s.baseline().testTop1())));
        comparisons.add(comparison(runs, "baseline cost − early-exit cost", "G multiply-adds",
                s -> s.baseline().gmacs() - s.anchorNet().testGmacs()));
        comparisons.add(comparison(runs, "early exit: AnchorNet's − random windows, top-1", "points",
                s -> 100 * (s.anchorNet().testTop1() - s.earlyExit().get("random").testTop1())));
        comparisons.add(comparison(runs, "early exit: AnchorNet's − centre windows, top-1", "points",
                s -> 100 * (s.anchorNet().testTop1() - s.earlyExit().get("centre").testTop1())));
        comparisons.add(comparison(runs, "early exit (AnchorNet) − glance only, top-1", "points",
                s -> 100 * (s.anchorNet().testTop1() - s.glance().testTop1())));
        comparisons.add(comparison(runs, "stage 2 at equal cost: AnchorNet's − random window, top-1", "points",
                s -> 100 * (s.anchorNet().testTop1AtStage()[1] - s.earlyExit().get("random").testTop1AtStage()[1])));
        comparisons.add(comparison(runs, "early exit − resolution-scaled baselines at the same cost, top-1", "points",
                s -> 100 * (s.anchorNet().testTop1() - resolutionCurveAt(s, s.anchorNet().testGmacs()))));
        if (methods.contains(DemoTables.PAPER_PATCH)) {
            comparisons.add(comparison(runs, "early exit: stage recipe − paper's patch network, top-1", "points",
                    s -> 100 * (s.anchorNet().testTop1() - s.earlyExit().get(DemoTables.PAPER_PATCH).testTop1())));
        }
        return new Headline(rows, comparisons);
    }

    static String label(String source) {
        return switch (source) {
            case "anchornet" -> "early exit, AnchorNet's windows";
            case "random" -> "early exit, random windows (ablation)";
            case DemoTables.PAPER_PATCH -> "early exit, paper's patch network";
            default -> "early exit, centre windows (ablation)";
        };
    }

    /** Top-1 of the resolution-scaled baselines interpolated linearly at a cost (clamped to the curve's ends). */
    static double resolutionCurveAt(DemoSummary s, double gmacs) {
        List<DemoSummary.Resolution> r = s.resolutions();
        if (gmacs <= r.get(0).gmacs()) {
            return r.get(0).testTop1();
        }
        for (int i = 1; i < r.size(); i++) {
            if (gmacs <= r.get(i).gmacs()) {
                double f = (gmacs - r.get(i - 1).gmacs()) / (r.get(i).gmacs() - r.get(i - 1).gmacs());
                return r.get(i - 1).testTop1() + f * (r.get(i).testTop1() - r.get(i - 1).testTop1());
            }
        }
        return r.get(r.size() - 1).testTop1();
    }

    private static Row row(List<DemoSummary> runs, String name, ToDoubleFunction<DemoSummary> top1,
            ToDoubleFunction<DemoSummary> gmacs) {
        return new Row(name, Stat.of(runs, s -> 100 * top1.applyAsDouble(s)), Stat.of(runs, gmacs),
                Stat.of(runs, s -> 100 * gmacs.applyAsDouble(s) / s.baseline().gmacs()));
    }

    private static Comparison comparison(List<DemoSummary> runs, String what, String unit,
            ToDoubleFunction<DemoSummary> f) {
        Stat d = Stat.of(runs, f);
        int positive = (int) java.util.Arrays.stream(d.values()).filter(v -> v > 0).count();
        return new Comparison(what, unit, d, positive, runs.size());
    }
}
