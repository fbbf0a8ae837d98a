package org.anchornet.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
            return List.of(new DemoPipeline(base.toBuilder().seed(seeds.get(0)).build(), log).run());
        }
        List<DemoSummary> runs = new ArrayList<>();
        for (long seed : seeds) {
            log.printf("=== seed %d ===%n", seed);
            Path dir = base.outDir().resolve("seed-" + seed);
            runs.add(new DemoPipeline(base.toBuilder().seed(seed).outDir(dir).build(), log).run());
        }
        aggregate(base.outDir(), runs);
        log.printf("report over %d seeds: %s%n", runs.size(), base.outDir().resolve("report.html"));
        log.flush();
        return runs;
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
