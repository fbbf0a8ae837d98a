package org.anchornet.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.anchornet.io.AtomicFiles;

/**
 * The demo's {@code report.html} for one run or several seeds: the headline table (mean ± standard deviation over
 * seeds), the comparisons and whether each keeps its sign in every seed, the equal-cost table per stage, the figures,
 * each network's training (one run), the measured speed, and links to the raw numbers.
 */
final class HtmlReport {
    /** The class-by-class section of one run ({@link org.anchornet.report.ClassReport#html}), kept beside it. */
    static final String CLASSES_FRAGMENT = "classes.html";

    private HtmlReport() {}

    static void write(Path dir, List<DemoSummary> runs) throws IOException {
        DemoSummary first = runs.get(0);
        Headline h = Headline.of(runs);
        StringBuilder html = new StringBuilder();
        html.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>AnchorNet demo report</title><style>")
                .append("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;")
                .append("text-align:right}th:first-child,td:first-child{text-align:left}img{max-width:100%}")
                .append(".bad{color:#b00020}</style></head><body>");
        if (first.settings().data() == null) {
            html.append("<h1>AnchorNet on Cluttered Fashion-MNIST</h1>");
            html.append(String.format(Locale.ROOT, "<p>%s, %d training / %d validation / %d test canvases of %d px;"
                    + " %d seed%s (%s); %s.</p>", first.settings().arch(), first.settings().trainSize(),
                    first.settings().valSize(), first.settings().testSize(), first.settings().canvas(), runs.size(),
                    runs.size() > 1 ? "s" : "", seeds(runs), esc(first.cpu())));
        } else {
            com.google.gson.JsonObject d = first.data();
            html.append("<h1>AnchorNet on ").append(esc(first.settings().data())).append("</h1>");
            html.append(String.format(Locale.ROOT, "<p>%s at %d px, %s training / %s validation images; test figures"
                    + " scored on %s; %d seed%s (%s); %s.</p>", first.settings().arch(), first.settings().canvas(),
                    d.get("train").getAsString(), d.get("val").getAsString(), esc(d.get("test_source").getAsString()),
                    runs.size(), runs.size() > 1 ? "s" : "", seeds(runs), esc(first.cpu())));
        }
        Double budgetMs = first.settings().budgetMs();
        html.append(String.format(Locale.ROOT, "<p>Thresholds fit on validation under %s, scored on the test images."
                + " Every downstream network starts from the same pretraining and is fine-tuned with the same recipe"
                + " at its own input; %s.</p>", budgetMs != null ? String.format(Locale.ROOT, "%.2f ms per image on"
                        + " the machine that ran it, priced by each stage's measured time (stage-times.json; %.3f G"
                        + " on validation for the first seed)", budgetMs, first.budgetGmacs())
                        : String.format(Locale.ROOT, "%.3f G (%.0f%% of the baseline's multiply-adds)",
                                first.budgetGmacs(), 100 * first.settings().budgetFraction()),
                switch (first.settings().patchRecipe()) {
                    case PAPER -> "the patch network as in the paper, on each window alone";
                    case STAGES -> "the patch network is then refined on the stage outputs (--patch-recipe stages)";
                    case STAGES_CROSS_FIT -> "the patch network is then refined on the stage outputs, with glance"
                            + " logits from networks that did not see the training image (--patch-recipe"
                            + " stages-cross-fit)";
                }));
        html.append("<h2>Test top-1 and cost</h2><table><tr><th>method</th><th>top-1 (%)</th><th>G multiply-adds"
                + "</th><th>share of the baseline</th></tr>");
        for (Headline.Row r : h.rows()) {
            html.append("<tr><td>").append(esc(r.method())).append("</td><td>").append(stat(r.top1(), 1))
                    .append("</td><td>").append(stat(r.gmacs(), 3)).append("</td><td>")
                    .append(stat(r.shareOfBaseline(), 0)).append("%</td></tr>");
        }
        html.append("</table><h2>Comparisons</h2><table><tr><th>difference</th><th>mean ± sd</th><th>per seed</th>"
                + "<th>same sign in every seed</th></tr>");
        for (Headline.Comparison c : h.comparisons()) {
            html.append("<tr><td>").append(esc(c.what())).append("</td><td>").append(stat(c.difference(), 2))
                    .append(' ').append(esc(c.unit())).append("</td><td>").append(values(c.difference(), 2))
                    .append("</td><td").append(c.signKept() ? ">yes" : " class=\"bad\">no").append(" (")
                    .append(c.positive()).append(" of ").append(c.seeds()).append(" positive)</td></tr>");
        }
        html.append("</table>");
        html.append(equalCostTable(runs));
        html.append("<h2>Frontier</h2><p>Early exit with thresholds fit on validation for a sweep of budgets and"
                + " scored on test, for each window source, beside the resolution-scaled baselines (the same network"
                + " fine-tuned and tested at smaller inputs)").append(runs.size() > 1 ? "; bars: ± one standard"
                + " deviation over seeds" : "").append(".</p><img src=\"frontier.png\" alt=\"frontier\">");
        if (runs.size() == 1) {
            html.append("<h2>Where test images leave</h2><img src=\"exits.png\" alt=\"exits\">");
            html.append("<h2>Examples</h2><p>Test images answered right, then wrong: every window AnchorNet"
                    + " proposes, numbered; the prediction after each stage up to the one the image left at.</p>"
                    + "<img src=\"examples.png\" alt=\"examples\">");
            html.append("<h2>Class activation maps</h2><img src=\"cams.png\" alt=\"cams\">");
            Path classes = dir.resolve(CLASSES_FRAGMENT);
            if (Files.exists(classes)) {
                html.append(Files.readString(classes));
            }
            html.append(TrainingTable.html(dir.resolve("checkpoints")));
        }
        html.append(benchSection(runs));
        html.append("<h2>Raw numbers</h2><p><a href=\"summary.json\">summary.json</a>, <a href=\"frontier.csv\">"
                + "frontier.csv</a>").append(runs.size() == 1 ? ", <a href=\"cascade/cascade.json\">the cascade"
                + " package</a>, the exit tables in <code>tables/</code>, the training logs in <code>checkpoints/"
                + "</code>" : ", each seed's folder").append(".</p></body></html>\n");
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("report.html"), html.toString());
    }

    private static String equalCostTable(List<DemoSummary> runs) {
        double[] costs = runs.get(0).stageCostsGmacs();
        StringBuilder t = new StringBuilder("<h2>Equal cost: every test image through the same stage</h2><p>Each stage"
                + " costs the same whichever windows it looks at, so this is the fairest comparison of window"
                + " sources (test top-1, %).</p><table><tr><th>windows</th>");
        for (int j = 0; j < costs.length; j++) {
            t.append(String.format(Locale.ROOT, "<th>stage %d (%.3f G)</th>", j + 1, costs[j]));
        }
        t.append("</tr>");
        for (String source : DemoTables.methods(runs)) {
            t.append("<tr><td>").append(source.equals(DemoTables.PAPER_PATCH) ? "anchornet, paper's patch network"
                    : source).append("</td>");
            for (int j = 0; j < costs.length; j++) {
                final int stage = j;
                t.append("<td>").append(stat(Headline.Stat.of(runs, s -> 100 * s.earlyExit().get(source)
                        .testTop1AtStage()[stage]), 1)).append("</td>");
            }
            t.append("</tr>");
        }
        return t.append("</table>").toString();
    }

    private static String benchSection(List<DemoSummary> runs) {
        List<DemoSummary> timed = runs.stream().filter(s -> s.bench() != null).toList();
        if (timed.isEmpty()) {
            return "<h2>Measured speed</h2><p>Not timed yet.</p>";
        }
        Headline.Stat engine = Headline.Stat.of(timed, s -> s.bench().engineImagesPerSecond());
        Headline.Stat base = Headline.Stat.of(timed, s -> s.bench().baselineImagesPerSecond());
        Headline.Stat speedup = Headline.Stat.of(timed, s -> s.bench().speedup());
        Headline.Stat ratio = Headline.Stat.of(timed, s -> s.bench().multiplyAddRatio());
        return String.format(Locale.ROOT, "<h2>Measured speed</h2><p>The early-exit engine and the full-resolution"
                + " network on the same %d test images, batch %d, in a fresh process on %s: %s against %s"
                + " images/s, a speedup of %s× (%s× by multiply-adds). Command: <code>bench.log</code>.</p>%s",
                timed.get(0).bench().images(), timed.get(0).bench().batchSize(), esc(timed.get(0).cpu()),
                stat(engine, 1), stat(base, 1), stat(speedup, 2), stat(ratio, 2),
                runs.size() == 1 ? "<img src=\"throughput.png\" alt=\"throughput\">" : "");
    }

    private static String seeds(List<DemoSummary> runs) {
        return "seed " + String.join(", ", runs.stream().map(s -> Long.toString(s.settings().seed())).toList());
    }

    static String stat(Headline.Stat s, int digits) {
        String f = "%." + digits + "f";
        return s.values().length > 1 ? String.format(Locale.ROOT, f + " ± " + f, s.mean(), s.std())
                : String.format(Locale.ROOT, f, s.mean());
    }

    private static String values(Headline.Stat s, int digits) {
        StringBuilder b = new StringBuilder();
        for (double v : s.values()) {
            b.append(b.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%+." + digits + "f", v));
        }
        return b.toString();
    }

    private static String esc(String s) {
        return org.anchornet.report.Html.escape(s);
    }
}
