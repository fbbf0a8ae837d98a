package org.anchornet.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.anchornet.report.Html;
import org.anchornet.train.Checkpoint;
import org.anchornet.train.EpochResult;

/**
 * Each network's training as its checkpoint folder records it ({@code checkpoints/NAME/train_log.csv} and
 * {@code best.pth}), for the report: how many epochs ran, which one the run kept, and how long they took. A reader
 * judging "converged" sees here whether a network was still improving when its epochs ran out.
 */
final class TrainingTable {
    /** The pipeline's order of checkpoint folders; a name not listed sorts after these. */
    private static final List<String> ORDER = List.of("pretrained", "anchornet", "glance", "full", "patch",
            "glance-fold-", "patch-refined", "patch-cross-fit", "resized-");

    /**
     * One network's training.
     *
     * @param bestEpoch the epoch whose weights were kept; 0 when an epoch never beat the starting weights
     * @param bestValTop1 validation top-1 of the kept epoch; NaN when the starting weights were kept
     */
    record Network(String name, int epochs, int bestEpoch, double bestValTop1, double seconds) {}

    private TrainingTable() {}

    /** The networks under {@code checkpoints}, in pipeline order; a folder without a log is left out. */
    static List<Network> read(Path checkpoints) throws IOException {
        List<Network> out = new ArrayList<>();
        if (!Files.isDirectory(checkpoints)) {
            return out;
        }
        List<Path> logs;
        try (Stream<Path> dirs = Files.list(checkpoints)) {
            logs = dirs.map(d -> d.resolve(Checkpoint.LOG_FILE)).filter(Files::isRegularFile).toList();
        }
        for (Path log : logs) {
            Network n = read(log.getParent().getFileName().toString(), log);
            if (n.epochs() > 0) { // a log of no epoch yet: nothing trained
                out.add(n);
            }
        }
        out.sort(Comparator.comparingInt((Network n) -> rank(n.name())).thenComparingInt(n -> suffix(n.name()))
                .thenComparing(Network::name));
        return out;
    }

    private static Network read(String name, Path log) throws IOException {
        List<EpochResult> epochs = EpochResult.readLog(log);
        double seconds = 0;
        int best = 0;
        double bestTop1 = Double.NEGATIVE_INFINITY;
        for (EpochResult r : epochs) {
            seconds += r.seconds();
            if (r.valTop1() > bestTop1) { // the trainer keeps an epoch only when it beats every earlier one
                bestTop1 = r.valTop1();
                best = r.epoch();
            }
        }
        // best.pth is the truth: a refinement that never beat its start kept epoch 0, which the log cannot show
        int kept = Checkpoint.bestEpochOf(log.resolveSibling(Checkpoint.BEST_FILE));
        if (kept >= 0 && kept != best && kept <= epochs.size()) {
            best = kept;
            bestTop1 = kept == 0 ? Double.NaN : epochs.get(kept - 1).valTop1();
        }
        return new Network(name, epochs.size(), best, bestTop1, seconds);
    }

    /** The report's section; a log that cannot be read is named in it rather than failing a finished run. */
    static String html(Path checkpoints) {
        List<Network> networks;
        try {
            networks = read(checkpoints);
        } catch (IOException e) {
            return "<h2>Training</h2><p class=\"bad\">" + Html.escape(e.getMessage()) + "</p>";
        }
        if (networks.isEmpty()) {
            return "";
        }
        StringBuilder t = new StringBuilder("<h2>Training</h2><p>Each network's epochs, from <code>checkpoints/"
                + "NAME/train_log.csv</code>. The kept epoch is the one with the best validation top-1; when it is"
                + " the last, the network was still improving when its epochs ran out.</p><table><tr><th>network</th>"
                + "<th>epochs</th><th>kept epoch</th><th>validation top-1 (%)</th><th>minutes</th></tr>");
        for (Network n : networks) {
            // a fixed-length recipe often keeps its last epoch: said plainly, not flagged as an error
            t.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%.1f</td></tr>",
                    Html.escape(n.name()), n.epochs(), n.bestEpoch() == 0 ? "0 (start kept)"
                            : n.bestEpoch() + (n.bestEpoch() == n.epochs() ? " (the last)" : ""),
                    Double.isNaN(n.bestValTop1()) ? "" : String.format(Locale.ROOT, "%.2f", 100 * n.bestValTop1()),
                    n.seconds() / 60));
        }
        return t.append("</table>").toString();
    }

    private static int rank(String name) {
        for (int i = 0; i < ORDER.size(); i++) {
            String o = ORDER.get(i);
            if (o.endsWith("-") ? name.startsWith(o) && suffix(name) >= 0 : name.equals(o)) {
                return i;
            }
        }
        return ORDER.size();
    }

    /** The number after the last '-', or −1. */
    private static int suffix(String name) {
        String tail = name.substring(name.lastIndexOf('-') + 1);
        return tail.matches("\\d{1,9}") ? Integer.parseInt(tail) : -1;
    }
}
