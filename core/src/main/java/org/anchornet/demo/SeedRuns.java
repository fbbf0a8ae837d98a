package org.anchornet.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.anchornet.io.AtomicFiles;

/**
 * The demo over several seeds (data, initialization, order; the test canvases stay the same): each seed runs, or
 * resumes, in {@code OUT/seed-<n>/}, and {@code OUT/} gets the aggregated report (mean ± standard deviation, per-seed
 * values, whether each comparison keeps its sign), the frontier with error bars and {@code summary.json} with every
 * run.
 */
public final class SeedRuns {
    private SeedRuns() {}

    public static List<DemoSummary> run(DemoSettings base, List<Long> seeds, PrintWriter log) throws IOException {
        if (seeds.size() == 1) {
            List<DemoSummary> one = List.of(new DemoPipeline(base.toBuilder().seed(seeds.get(0)).build(), log).run());
            printSummary(log, one, base.outDir().resolve("cascade"), base.outDir());
            return one;
        }
        List<DemoSummary> runs = new ArrayList<>();
        for (long seed : seeds) {
            log.printf("=== seed %d ===%n", seed);
            Path dir = base.outDir().resolve("seed-" + seed);
            runs.add(new DemoPipeline(base.toBuilder().seed(seed).outDir(dir).build(), log).run());
        }
        aggregate(base.outDir(), runs);
        log.printf("report over %d seeds: %s%n", runs.size(), base.outDir().resolve("report.html"));
        printSummary(log, runs, base.outDir().resolve("seed-" + seeds.get(0)).resolve("cascade"), base.outDir());
        return runs;
    }

    /** The run's result in a few lines at the end of its log: the headline rows, the measured speed, where things are. */
    static void printSummary(PrintWriter log, List<DemoSummary> runs, Path cascade, Path out) {
        Headline h = Headline.of(runs);
        log.printf(Locale.ROOT, "%nsummary (test images%s):%n", runs.size() > 1 ? ", mean ± sd over " + runs.size()
                + " seeds" : "");
        for (Headline.Row r : h.rows()) {
            log.printf(Locale.ROOT, "  %-42s %5.1f%%%s  %.3f G  (%.0f%% of the full network)%n", r.method(),
                    r.top1().mean(), runs.size() > 1 ? String.format(Locale.ROOT, " ± %.1f", r.top1().std()) : "",
                    r.gmacs().mean(), r.shareOfBaseline().mean());
        }
        List<DemoSummary> timed = runs.stream().filter(s -> s.bench() != null).toList();
        if (!timed.isEmpty()) {
            log.printf(Locale.ROOT, "  measured: early exit %.2f× the full network's images/s (multiply-adds %.2f×)%n",
                    Headline.Stat.of(timed, s -> s.bench().speedup()).mean(),
                    Headline.Stat.of(timed, s -> s.bench().multiplyAddRatio()).mean());
        }
        log.printf("cascade: %s%nreport: %s%n", cascade, out.resolve("report.html"));
        log.flush();
    }

    /** Writes the aggregated report of finished runs. */
    static void aggregate(Path out, List<DemoSummary> runs) throws IOException {
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("seeds", runs.stream().map(s -> s.settings().seed()).toList());
        all.put("headline", Headline.of(runs));
        all.put("runs", runs);
        AtomicFiles.writeString(out.resolve("summary.json"), DemoPipeline.GSON.toJson(all));
        DemoFigures.charts(runs, out);
        HtmlReport.write(out, runs);
    }
}
