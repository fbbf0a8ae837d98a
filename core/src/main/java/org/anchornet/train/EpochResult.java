package org.anchornet.train;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/** Figures of one epoch of a {@link TrainingRun}, as its log and checkpoints keep them. */
public record EpochResult(int epoch, double lr, double trainLoss, double trainTop1, double valTop1,
        double imagesPerSecond, double dataWaitSeconds, double seconds) {
    String csvRow() {
        return String.format(Locale.ROOT, "%d,%.6g,%.6f,%.6f,%.6f,%.2f,%.3f,%.2f", epoch, lr, trainLoss,
                trainTop1, valTop1, imagesPerSecond, dataWaitSeconds, seconds);
    }

    java.util.Map<String, Object> toMap() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("epoch", (long) epoch);
        m.put("lr", lr);
        m.put("train_loss", trainLoss);
        m.put("train_top1", trainTop1);
        m.put("val_top1", valTop1);
        m.put("images_per_s", imagesPerSecond);
        m.put("data_wait_s", dataWaitSeconds);
        m.put("seconds", seconds);
        return m;
    }

    /**
     * Reads a {@link Checkpoint#LOG_FILE} back, as {@link CheckpointFolder} writes it (one row per epoch, columns
     * named as {@link #toMap}'s keys).
     */
    public static List<EpochResult> readLog(Path csv) throws IOException {
        try (Reader in = Files.newBufferedReader(csv)) {
            List<EpochResult> out = new java.util.ArrayList<>();
            for (CSVRecord r : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)
                    .getRecords()) {
                Map<String, Double> row = r.toMap().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey,
                        e -> Double.parseDouble(e.getValue())));
                if (!row.keySet().containsAll(List.of("epoch", "val_top1", "seconds"))) {
                    throw new IllegalArgumentException("row " + r.getRecordNumber() + " lacks epoch, val_top1 or"
                            + " seconds");
                }
                out.add(fromMap(row));
            }
            return out;
        } catch (IllegalArgumentException | IllegalStateException | UncheckedIOException e) {
            // a malformed record: Commons CSV reports an unclosed quote unchecked, a short row as a missing column
            throw new IOException(csv + ": not a training log (" + e.getMessage() + ")", e);
        }
    }

    static EpochResult fromMap(java.util.Map<?, ?> m) {
        return new EpochResult(((Number) m.get("epoch")).intValue(), value(m, "lr"), value(m, "train_loss"),
                value(m, "train_top1"), value(m, "val_top1"), value(m, "images_per_s"), value(m, "data_wait_s"),
                value(m, "seconds"));
    }

    private static double value(java.util.Map<?, ?> m, String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
