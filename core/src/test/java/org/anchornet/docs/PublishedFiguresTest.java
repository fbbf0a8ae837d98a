package org.anchornet.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The figures the README and docs/results*.md print cannot drift from the committed raw files: every table preceded
 * by {@code <!-- figures: PATH/summary.json -->} is recomputed from that summary's per-seed runs (means, n−1 standard
 * deviations, per-seed values, signs) and compared cell by cell at the printed rounding.
 *
 * <p>Rows are matched by their first cell. A results row names a method of the summary's headline; its per-seed
 * top-1 is taken from the raw fields of each run where the method has one (baseline, glance, resolution-scaled
 * networks, early exit by window source), else from the headline's per-seed values. A comparison row names a
 * comparison of the headline, or the measured engine speed ({@value #SPEED_ROW}, from each run's bench).
 */
class PublishedFiguresTest {
    static final String SPEED_ROW = "measured speed: early exit ÷ full network, images/s";
    private static final Pattern MARKER = Pattern.compile("<!-- figures: (\\S+) -->");
    private static final Path ROOT = Path.of("..");

    /** A table that a marker ties to a committed summary, with where it is printed. */
    record Marked(String where, List<String> table, JsonObject summary) {}

    /** Every marked table of a document, in order, each with its summary freshly read. */
    static List<Marked> marked(Path doc) throws IOException {
        List<String> lines = Files.readAllLines(doc);
        List<Marked> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = MARKER.matcher(lines.get(i));
            if (m.find()) {
                out.add(new Marked(doc.getFileName() + ":" + (i + 1), table(lines, i + 1),
                        JsonParser.parseString(Files.readString(ROOT.resolve(m.group(1)))).getAsJsonObject()));
            }
        }
        return out;
    }

    @Test
    void everyMarkedTableMatchesItsCommittedSummary() throws IOException {
        List<Path> docs = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> files = Files.list(ROOT.resolve("docs"))) {
            files.filter(p -> p.getFileName().toString().matches("results.*\\.md")).sorted().forEach(docs::add);
        }
        int tables = 0;
        List<String> problems = new ArrayList<>();
        for (Path doc : docs) {
            for (Marked t : marked(doc)) {
                problems.addAll(check(t.where(), t.table(), t.summary()));
                tables++;
            }
        }
        assertTrue(tables >= 2, "the README's headline tables are marked with their summary; found " + tables);
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void aSummaryEditedByOnePointFailsTheCheck() throws IOException {
        List<Marked> readme = marked(ROOT.resolve("README.md"));
        assertFalse(readme.isEmpty(), "the README marks its headline table");
        JsonObject summary = readme.get(0).summary();
        List<String> table = readme.get(0).table();
        assertEquals(List.of(), check("README", table, summary), "the unedited summary passes");
        JsonObject early = summary.getAsJsonArray("runs").get(0).getAsJsonObject().getAsJsonObject("early_exit")
                .getAsJsonObject("anchornet");
        early.addProperty("test_top1", early.get("test_top1").getAsDouble() + 0.01); // one point on seed 0
        List<String> problems = check("README", table, summary);
        assertFalse(problems.isEmpty(), "a summary one point off on one seed must fail the check");
        assertTrue(problems.stream().anyMatch(p -> p.contains("early exit, AnchorNet's windows")), problems::toString);
    }

    @Test
    void aSeedsTableIsCheckedAgainstThatSeedsOwnSummary() throws IOException {
        Marked seed = marked(ROOT.resolve("docs/results.md")).stream().filter(t -> !t.summary().has("runs"))
                .findFirst().orElse(null);
        assertTrue(seed != null, "docs/results.md marks a table of one seed with that seed's summary");
        JsonObject run = seed.summary();
        List<String> table = seed.table();
        assertEquals(List.of(), check("results", table, run), "the unedited summary passes");
        JsonObject full = run.getAsJsonObject("baseline");
        full.addProperty("gmacs", full.get("gmacs").getAsDouble() * 1.01); // every share moves by about 1%
        List<String> problems = check("results", table, run);
        assertTrue(problems.stream().anyMatch(p -> p.contains("early exit, AnchorNet's windows")), problems::toString);
        full.addProperty("gmacs", full.get("gmacs").getAsDouble() / 1.01);
        JsonObject early = run.getAsJsonObject("early_exit").getAsJsonObject("random");
        early.addProperty("test_top1", early.get("test_top1").getAsDouble() + 0.01);
        problems = check("results", table, run);
        assertEquals(1, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("random windows"), problems::toString);
    }

    /** The table's lines after a marker: the header, the rule, the rows. */
    static List<String> table(List<String> lines, int from) {
        List<String> out = new ArrayList<>();
        int i = from;
        while (i < lines.size() && lines.get(i).isBlank()) {
            i++;
        }
        for (; i < lines.size() && lines.get(i).startsWith("|"); i++) {
            out.add(lines.get(i));
        }
        return out;
    }

    static List<String> cells(String row) {
        List<String> out = new ArrayList<>();
        for (String c : row.substring(1, row.length() - (row.endsWith("|") ? 1 : 0)).split("\\|", -1)) {
            out.add(c.strip().replace("**", ""));
        }
        return out;
    }

    /** Every problem of one table against its summary; empty when each printed cell is what the files give. */
    static List<String> check(String where, List<String> table, JsonObject summary) {
        List<String> problems = new ArrayList<>();
        if (table.size() < 3) {
            return List.of(where + ": no table after the marker");
        }
        boolean single = !summary.has("runs"); // one seed's own summary.json: the run itself, no headline
        JsonArray runs = single ? null : summary.getAsJsonArray("runs");
        boolean comparisons = cells(table.get(0)).get(0).equals("comparison");
        if (single && comparisons) {
            return List.of(where + ": comparisons need the aggregated summary of several seeds");
        }
        for (String row : table.subList(2, table.size())) {
            List<String> c = cells(row);
            List<String> expected = comparisons ? comparisonRow(c.get(0), summary, runs)
                    : single ? singleRunRow(c.get(0), summary) : resultRow(c.get(0), summary, runs);
            if (expected == null) {
                problems.add(where + ": '" + c.get(0) + "' is not in " + (comparisons ? "the comparisons" : "the rows")
                        + " of the summary");
            } else if (!matches(c.subList(1, c.size()), expected)) {
                problems.add(where + ": " + c.get(0) + "\n  printed: " + c.subList(1, c.size()) + "\n  files:   "
                        + expected);
            }
        }
        return problems;
    }

    private static List<String> resultRow(String method, JsonObject summary, JsonArray runs) {
        for (JsonElement e : summary.getAsJsonObject("headline").getAsJsonArray("rows")) {
            JsonObject row = e.getAsJsonObject();
            if (!row.get("method").getAsString().equals(method)) {
                continue;
            }
            double[] top1 = new double[runs.size()];
            double[] gmacs = new double[runs.size()];
            for (int s = 0; s < runs.size(); s++) {
                JsonObject run = runs.get(s).getAsJsonObject();
                Double raw = rawTop1(method, run);
                top1[s] = raw != null ? raw : row.getAsJsonObject("top1").getAsJsonArray("values").get(s).getAsDouble();
                gmacs[s] = rawGmacs(method, run, row, s);
            }
            double full = runs.get(0).getAsJsonObject().getAsJsonObject("baseline").get("gmacs").getAsDouble();
            return List.of(meanStd(top1, EXACT) + "%", perSeed(top1, EXACT), costs(gmacs),
                    String.format(Locale.ROOT, EXACT + "%%", 100 * mean(gmacs) / full));
        }
        return null;
    }

    /** One seed's table (top-1, cost, share), every cell a field of that run. */
    private static List<String> singleRunRow(String method, JsonObject run) {
        Double top1 = rawTop1(method, run);
        Double gmacs = rawGmacs(method, run);
        if (top1 == null || gmacs == null) {
            return null;
        }
        double full = run.getAsJsonObject("baseline").get("gmacs").getAsDouble();
        return List.of(String.format(Locale.ROOT, EXACT + "%%", top1), String.format(Locale.ROOT, EXACT, gmacs),
                String.format(Locale.ROOT, EXACT + "%%", 100 * gmacs / full));
    }

    /**
     * The run's own record of a method, or null where it has none: {@code test_top1} and the cost, {@code gmacs}
     * ({@code test_gmacs} for early exit, whose cost depends on the images).
     */
    private static JsonObject rawEntry(String method, JsonObject run) {
        if (method.equals("full-resolution baseline")) {
            return run.getAsJsonObject("baseline");
        }
        if (method.startsWith("glance only")) {
            return run.getAsJsonObject("glance");
        }
        Matcher side = Pattern.compile("resolution-scaled baseline at (\\d+) px").matcher(method);
        if (side.matches()) {
            for (JsonElement r : run.getAsJsonArray("resolutions")) {
                if (r.getAsJsonObject().get("side").getAsInt() == Integer.parseInt(side.group(1))) {
                    return r.getAsJsonObject();
                }
            }
        }
        String source = earlyExitSource(method);
        return source == null ? null : run.getAsJsonObject("early_exit").getAsJsonObject(source);
    }

    /** A method's test top-1 in percent from the run's own fields, or null where it has none. */
    private static Double rawTop1(String method, JsonObject run) {
        JsonObject entry = rawEntry(method, run);
        return entry == null ? null : 100 * entry.get("test_top1").getAsDouble();
    }

    private static Double rawGmacs(String method, JsonObject run) {
        JsonObject entry = rawEntry(method, run);
        return entry == null ? null : entry.get(entry.has("test_gmacs") ? "test_gmacs" : "gmacs").getAsDouble();
    }

    private static String earlyExitSource(String method) {
        return method.equals("early exit, AnchorNet's windows") ? "anchornet"
                : method.startsWith("early exit, random windows") ? "random"
                : method.startsWith("early exit, centre windows") ? "centre"
                : method.startsWith("early exit, paper's patch network") ? "paper-patch" : null;
    }

    private static double rawGmacs(String method, JsonObject run, JsonObject row, int s) {
        Double raw = rawGmacs(method, run);
        return raw != null ? raw : row.getAsJsonObject("gmacs").getAsJsonArray("values").get(s).getAsDouble();
    }

    private static List<String> comparisonRow(String what, JsonObject summary, JsonArray runs) {
        if (what.equals(SPEED_ROW)) {
            double[] speed = new double[runs.size()];
            for (int s = 0; s < runs.size(); s++) {
                speed[s] = runs.get(s).getAsJsonObject().getAsJsonObject("bench").get("speedup").getAsDouble();
            }
            return List.of(meanStd(speed, EXACT) + "×", perSeed(speed, EXACT), positive(speed, 1.0) + " of "
                    + speed.length + " faster");
        }
        for (JsonElement e : summary.getAsJsonObject("headline").getAsJsonArray("comparisons")) {
            JsonObject c = e.getAsJsonObject();
            if (!c.get("what").getAsString().equals(what)) {
                continue;
            }
            JsonArray v = c.getAsJsonObject("difference").getAsJsonArray("values");
            double[] d = new double[v.size()];
            for (int s = 0; s < d.length; s++) {
                d[s] = v.get(s).getAsDouble();
            }
            boolean points = c.get("unit").getAsString().equals("points");
            String f = "%+" + EXACT.substring(1);
            return List.of(meanStd(d, f) + (points ? " points" : " G"), perSeed(d, f), positive(d, 0) + " of "
                    + d.length);
        }
        return null;
    }

    /** The files' figures are written out to this precision; the printed ones are checked at their own rounding. */
    private static final String EXACT = "%.6f";
    private static final Pattern NUMBER = Pattern.compile("[+−-]?\\d+(?:\\.(\\d+))?");

    /**
     * Whether printed cells say what the exact ones say: the same words, and each number within half a unit of its
     * last printed digit of the exact value (65.05 may print as 65.0 or 65.1, 65.04 only as 65.0).
     */
    static boolean matches(List<String> printed, List<String> exact) {
        if (printed.size() != exact.size()) {
            return false;
        }
        for (int i = 0; i < printed.size(); i++) {
            Matcher p = NUMBER.matcher(printed.get(i));
            Matcher e = NUMBER.matcher(exact.get(i));
            if (!p.replaceAll("#").equals(e.replaceAll("#"))) {
                return false;
            }
            p.reset();
            e.reset();
            while (p.find()) {
                if (!e.find()) {
                    return false;
                }
                int decimals = p.group(1) == null ? 0 : p.group(1).length();
                double shown = Double.parseDouble(p.group().replace("−", "-"));
                double value = Double.parseDouble(e.group().replace("−", "-"));
                if (Math.abs(shown - value) > 0.5 * Math.pow(10, -decimals) + 1e-9) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String costs(double[] gmacs) {
        return std(gmacs) < 0.0005 ? String.format(Locale.ROOT, EXACT, mean(gmacs)) : meanStd(gmacs, EXACT);
    }

    private static int positive(double[] v, double above) {
        int n = 0;
        for (double x : v) {
            n += x > above ? 1 : 0;
        }
        return n;
    }

    static String meanStd(double[] v, String format) {
        return (String.format(Locale.ROOT, format, mean(v)) + " ± " + String.format(Locale.ROOT,
                format.replace("+", ""), std(v))).replace("-", "−");
    }

    static String perSeed(double[] v, String format) {
        List<String> out = new ArrayList<>();
        for (double x : v) {
            out.add(String.format(Locale.ROOT, format, x).replace("-", "−"));
        }
        return String.join(" / ", out);
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** The n−1 sample standard deviation (0 for one seed). */
    static double std(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }
}
