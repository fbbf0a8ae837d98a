package org.anchornet.train;

import java.util.Locale;

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

    static EpochResult fromMap(java.util.Map<?, ?> m) {
        return new EpochResult(((Number) m.get("epoch")).intValue(), value(m, "lr"), value(m, "train_loss"),
                value(m, "train_top1"), value(m, "val_top1"), value(m, "images_per_s"), value(m, "data_wait_s"),
                value(m, "seconds"));
    }

    private static double value(java.util.Map<?, ?> m, String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }
}
