package org.anchornet.report;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.io.AtomicFiles;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * What the cascade answers class by class on a test table, under its thresholds and answer rule: the per-class
 * accuracy and the confusion matrix (rows the true class, columns the answer), as CSV files beside the report and as
 * HTML for it. Computed from the table's recorded predictions, so it is exactly what the engine answers.
 *
 * @param perClass one row per class, in class-index order
 * @param confusion {@code confusion[truth][answer]} image counts
 */
public record ClassReport(List<ClassRow> perClass, int[][] confusion) {
    /** Classes past which the HTML shows the worst-served rows and links the full CSV instead of a matrix. */
    static final int HTML_CLASSES = 20;

    /** One class: its test images and the share the cascade answered right. */
    public record ClassRow(String name, int images, double top1) {}

    /** The report of a test table, or null when the table lacks predicted classes or labels. */
    public static ClassReport of(ExitTable test, ExitThresholds thresholds, List<String> classes) {
        if (test.images() == 0 || test.predicted(0, 0).isEmpty() || test.label(0).isEmpty()) {
            return null;
        }
        int k = classes.size();
        int[][] confusion = new int[k][k];
        for (int i = 0; i < test.images(); i++) {
            final int image = i;
            int exit = ExitRule.exitStage(j -> test.confidence(j, image), thresholds);
            int answer = ExitRule.answerStage(j -> test.confidence(j, image), exit, thresholds.answer());
            int truth = (int) (long) test.label(i).orElseThrow();
            int said = test.predicted(answer, i).orElseThrow();
            if (truth < k && said < k) {
                confusion[truth][said]++;
            }
        }
        List<ClassRow> rows = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            int n = 0;
            for (int v : confusion[c]) {
                n += v;
            }
            rows.add(new ClassRow(classes.get(c), n, n == 0 ? Double.NaN : (double) confusion[c][c] / n));
        }
        return new ClassReport(rows, confusion);
    }

    /** Writes {@code per_class.csv} and {@code confusion.csv} into {@code dir}. */
    public void write(Path dir) throws IOException {
        StringWriter perClassCsv = new StringWriter();
        try (CSVPrinter csv = CSVFormat.DEFAULT.builder().setRecordSeparator('\n')
                .setHeader("class", "test_images", "top1").get().print(perClassCsv)) {
            for (ClassRow r : perClass) {
                csv.printRecord(r.name(), r.images(), Double.isNaN(r.top1()) ? "" : r.top1());
            }
        }
        AtomicFiles.writeString(dir.resolve("per_class.csv"), perClassCsv.toString());
        StringWriter confusionCsv = new StringWriter();
        List<String> header = new ArrayList<>(List.of("truth \\ answer"));
        perClass.forEach(r -> header.add(r.name()));
        try (CSVPrinter csv = CSVFormat.DEFAULT.builder().setRecordSeparator('\n')
                .setHeader(header.toArray(String[]::new)).get().print(confusionCsv)) {
            for (int t = 0; t < confusion.length; t++) {
                List<Object> row = new ArrayList<>(List.of(perClass.get(t).name()));
                for (int v : confusion[t]) {
                    row.add(v);
                }
                csv.printRecord(row);
            }
        }
        AtomicFiles.writeString(dir.resolve("confusion.csv"), confusionCsv.toString());
    }

    /** The HTML section: per-class accuracy (worst first) and, for few classes, the confusion matrix. */
    public String html() {
        StringBuilder h = new StringBuilder("<h2>Class by class</h2><p>The cascade's answers on test, under its"
                + " thresholds (<a href=\"per_class.csv\">per_class.csv</a>, <a href=\"confusion.csv\">"
                + "confusion.csv</a>)" + (perClass.size() > HTML_CLASSES ? "; the " + HTML_CLASSES
                + " least accurate classes" : "") + ".</p><table><tr><th>class</th><th>test images</th>"
                + "<th>top-1 (%)</th></tr>");
        perClass.stream().filter(r -> r.images() > 0).sorted(Comparator.comparingDouble(ClassRow::top1))
                .limit(HTML_CLASSES).forEach(r -> h.append("<tr><td>").append(Html.escape(r.name())).append("</td><td>")
                        .append(r.images()).append("</td><td>").append(String.format(java.util.Locale.ROOT, "%.1f",
                                100 * r.top1())).append("</td></tr>"));
        h.append("</table>");
        if (perClass.size() <= HTML_CLASSES) {
            h.append("<p>Confusion: rows the true class, columns the answer.</p><table><tr><th></th>");
            perClass.forEach(r -> h.append("<th>").append(Html.escape(r.name())).append("</th>"));
            h.append("</tr>");
            for (int t = 0; t < confusion.length; t++) {
                h.append("<tr><td>").append(Html.escape(perClass.get(t).name())).append("</td>");
                for (int a = 0; a < confusion[t].length; a++) {
                    h.append(a == t ? "<td><b>" : "<td>").append(confusion[t][a]).append(a == t ? "</b></td>" : "</td>");
                }
                h.append("</tr>");
            }
            h.append("</table>");
        }
        return h.toString();
    }
}
