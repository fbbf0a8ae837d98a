package org.anchornet.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.anchornet.torchio.AtomicFiles;

/** The demo's {@code report.html}: the figures, the numbers behind them, and how to read them. */
final class HtmlReport {
    private HtmlReport() {}

    @SuppressWarnings("unchecked")
    static void write(Path dir, Map<String, Object> summary) throws IOException {
        Map<String, Object> baseline = (Map<String, Object>) summary.get("baseline");
        Map<String, Object> glance = (Map<String, Object>) summary.get("glance_only");
        Map<String, Object> methods = (Map<String, Object>) summary.get("early_exit");
        Map<String, Object> bench = (Map<String, Object>) summary.get("bench");
        Map<String, Object> settings = (Map<String, Object>) summary.get("settings");
        double baseTop1 = num(baseline.get("test_top1"));
        double baseG = num(baseline.get("gmacs"));
        StringBuilder rows = new StringBuilder();
        rows.append(row("full-resolution baseline", baseTop1, baseG, baseG));
        rows.append(row("glance only (stage 1)", num(glance.get("test_top1")), num(glance.get("gmacs")), baseG));
        for (String name : List.of("anchornet", "random", "centre")) {
            Map<String, Object> m = (Map<String, Object>) methods.get(name);
            String label = switch (name) {
                case "anchornet" -> "early exit, AnchorNet's windows";
                case "random" -> "early exit, random windows (ablation)";
                default -> "early exit, centre windows (ablation)";
            };
            rows.append(row(label, num(m.get("test_top1")), num(m.get("test_gmacs")), baseG));
        }
        Map<String, Object> ours = (Map<String, Object>) methods.get("anchornet");
        StringBuilder stageRows = new StringBuilder("<tr><th>windows</th>");
        double[] stageCosts = (double[]) summary.get("stage_costs_gmacs");
        for (int j = 0; j < stageCosts.length; j++) {
            stageRows.append(String.format(Locale.ROOT, "<th>stage %d (%.3f G)</th>", j + 1, stageCosts[j]));
        }
        stageRows.append("</tr>\n");
        for (String name : List.of("anchornet", "random", "centre")) {
            stageRows.append("<tr><td>").append(name).append("</td>");
            for (double a : (double[]) ((Map<String, Object>) methods.get(name)).get("test_top1_at_stage")) {
                stageRows.append(String.format(Locale.ROOT, "<td class=\"n\">%.1f%%</td>", 100 * a));
            }
            stageRows.append("</tr>\n");
        }
        String html = """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>anchornet-java demo report</title>
                <style>
                body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
                table { border-collapse: collapse; margin: 1em 0; } td, th { padding: 4px 12px; border-bottom: 1px solid #ddd; }
                td.n { text-align: right; font-variant-numeric: tabular-nums; } img { max-width: 100%%; }
                .note { color: #555; font-size: 0.92em; }
                </style></head><body>
                <h1>AnchorNet early exit on Cluttered Fashion-MNIST</h1>
                <p class="note">%d training, %d validation and %d test canvases of %d px; downstream network %s;
                top-%s patches of 95 px; thresholds fit on validation under a budget of %.3f G multiply-adds per image
                (%.0f%% of the baseline), scored on test. Seed %s. Total time %.0f s.</p>
                <h2>Accuracy and cost on the test set</h2>
                <table><tr><th>method</th><th>top-1</th><th>G multiply-adds / image</th><th>share of baseline</th></tr>
                %s</table>
                <p>Early exit with AnchorNet: <b>%.2f%%</b> top-1 at <b>%.3f G</b> (%.0f%% of the baseline's cost), against
                %.2f%% for the full-resolution network: a difference of %+.2f points.</p>
                <img src="frontier.png" alt="accuracy vs multiply-adds">
                <p>Every canvas through the same stage costs the same whatever chose its windows; test top-1 by stage:</p>
                <table>%s</table>
                <p class="note">Lines: thresholds fit on validation for each budget, scored on test. Markers: every canvas
                stopping at one fixed stage (stage 1 is the glance alone), the baseline, and random or centre windows
                instead of AnchorNet's at the same budget. Raw numbers: <a href="frontier.csv">frontier.csv</a>,
                <a href="summary.json">summary.json</a>, exit tables in <code>tables/</code>.</p>
                <h2>Measured speed</h2>
                <p>The engine runs the glance on every canvas, AnchorNet and the patch stages only on the canvases still
                in (images per stage: %s; AnchorNet ran on %s). On %s test canvases in batches of %s it classified
                <b>%.1f images/s</b> against <b>%.1f</b> for the full-resolution network: <b>%.2f×</b> faster, for a
                multiply-add ratio of %.2f×. Both were timed in a fresh process (<code>anchornet bench</code>; the command
                line is the first line of <a href="bench.log">bench.log</a>), the fastest of several passes each.</p>
                <img src="throughput.png" alt="throughput"> <img src="exits.png" alt="exit stages">
                <h2>Where it looks</h2>
                <p class="note">Numbered windows are AnchorNet's proposals in order; below each canvas, the prediction
                after the glance and after each patch the engine used, until it exited.</p>
                <img src="examples.png" alt="windows and per-stage predictions">
                <h2>Class activation maps</h2>
                <img src="cams.png" alt="class activation maps">
                </body></html>
                """.formatted(
                (int) num(settings.get("train")), (int) num(settings.get("val")), (int) num(settings.get("test")),
                (int) num(settings.get("canvas")), settings.get("arch"), settings.get("topk"),
                num(summary.get("budget_gmacs")), 100 * num(settings.get("budget_fraction")), settings.get("seed"),
                num(summary.get("seconds")), rows,
                100 * num(ours.get("test_top1")), num(ours.get("test_gmacs")), 100 * num(ours.get("test_gmacs")) / baseG,
                100 * baseTop1, 100 * (num(ours.get("test_top1")) - baseTop1), stageRows,
                java.util.Arrays.toString((long[]) bench.get("images_per_stage")), bench.get("anchornet_images"),
                bench.get("images"), bench.get("batch_size"), num(bench.get("engine_images_per_s")),
                num(bench.get("baseline_images_per_s")), num(bench.get("speedup")), num(bench.get("multiply_add_ratio")));
        AtomicFiles.writeString(dir.resolve("report.html"), html);
    }

    private static String row(String name, double top1, double gmacs, double baseline) {
        return String.format(Locale.ROOT, "<tr><td>%s</td><td class=\"n\">%.2f%%</td><td class=\"n\">%.3f</td>"
                + "<td class=\"n\">%.0f%%</td></tr>%n", name, 100 * top1, gmacs, 100 * gmacs / baseline);
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }
}
