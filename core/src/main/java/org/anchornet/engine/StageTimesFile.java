package org.anchornet.engine;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.anchornet.exits.StageCosts;
import org.anchornet.io.AtomicFiles;
import org.anchornet.io.StrictJson;
import org.anchornet.io.TextFiles;

/**
 * A cascade's stage costs in measured time on one machine ({@code bench --stage-times} writes it): milliseconds per
 * image of leaving after each stage, every stage timed on full batches of the engine's batch size, with the
 * full-resolution network's time beside them. Thresholds fit under a time budget ({@code --budget-ms}) use these in
 * place of multiply-adds, so the budget is spent as this machine spends time: AnchorNet's slow depthwise convolutions,
 * resizing and cutting windows and reading answers out all count, which multiply-adds leave out.
 *
 * @param msPerImage cumulative: index j is the time of an image that leaves after stage j + 1
 */
public record StageTimesFile(
        String cpu,
        int threads,
        @SerializedName("batch_size") int batchSize,
        String arch,
        @SerializedName("patch_size") int patchSize,
        @SerializedName("input_size") int inputSize,
        @SerializedName("ms_per_image") double[] msPerImage,
        @SerializedName("full_network_ms_per_image") double fullNetworkMs) {
    public StageTimesFile {
        msPerImage = msPerImage.clone();
        if (msPerImage.length < 1) {
            throw new IllegalArgumentException("stage times: no stage");
        }
        for (int j = 0; j < msPerImage.length; j++) {
            if (!(msPerImage[j] > 0) || !Double.isFinite(msPerImage[j]) || (j > 0 && msPerImage[j] < msPerImage[j - 1])) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "stage times: ms_per_image must be"
                        + " positive, finite and non-decreasing; stage %d has %s", j + 1, msPerImage[j]));
            }
        }
        if (!(fullNetworkMs > 0) || !Double.isFinite(fullNetworkMs)) {
            throw new IllegalArgumentException("stage times: full_network_ms_per_image must be positive, got "
                    + fullNetworkMs);
        }
    }

    @Override
    public double[] msPerImage() {
        return msPerImage.clone();
    }

    public int stages() {
        return msPerImage.length;
    }

    /**
     * From a pass in which every image went through every stage: a stage's time per image is its network's and the
     * work around it (the window source's included, on the first patch stage).
     */
    public static StageTimesFile of(StageTimeReport allStages, CascadeConfig config, String cpu, int threads,
            int batchSize, double fullNetworkMs) {
        double[] cumulative = new double[allStages.stages().size()];
        double sum = 0;
        for (int j = 0; j < cumulative.length; j++) {
            StageTimeReport.Stage s = allStages.stages().get(j);
            if (s.images() == 0) {
                throw new IllegalArgumentException("stage " + (j + 1) + " ran on no image: time every stage");
            }
            sum += s.totalMs();
            cumulative[j] = sum;
        }
        return new StageTimesFile(cpu, threads, batchSize, config.arch(), config.patchSize(), config.inputSize(),
                cumulative, fullNetworkMs);
    }

    /** The times as stage costs in nanoseconds, for the fits, which only compare costs with a budget. */
    public StageCosts costs() {
        long[] ns = new long[msPerImage.length];
        for (int j = 0; j < ns.length; j++) {
            ns[j] = Math.max(1, Math.round(msPerImage[j] * 1e6));
        }
        return new StageCosts(ns);
    }

    /** Refuses times measured on another cascade shape (stages, network, sizes): they would price other work. */
    public void checkFits(CascadeConfig config, Path file) {
        List<String> differ = new ArrayList<>();
        if (stages() != config.stages()) {
            differ.add(stages() + " stages against the cascade's " + config.stages());
        }
        if (!arch.equals(config.arch())) {
            differ.add(arch + " against the cascade's " + config.arch());
        }
        if (patchSize != config.patchSize() || inputSize != config.inputSize()) {
            differ.add(String.format(Locale.ROOT, "%d px windows of %d px images against the cascade's %d of %d",
                    patchSize, inputSize, config.patchSize(), config.inputSize()));
        }
        if (!differ.isEmpty()) {
            throw new IllegalArgumentException(file + " was measured on another cascade: " + String.join("; ", differ)
                    + " (run bench --stage-times with this cascade)");
        }
    }

    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(this));
    }

    /** Reads a file that {@code bench --stage-times} wrote, strictly: every field present and of its type. */
    public static StageTimesFile read(Path file) throws IOException {
        String text = TextFiles.readString(file, "stage times", TextFiles.DEFAULT_MAX_BYTES);
        JsonObject o;
        try {
            JsonElement e = StrictJson.parse(text);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            o = e.getAsJsonObject();
            JsonArray ms = array(o, "ms_per_image");
            double[] values = new double[ms.size()];
            for (int j = 0; j < values.length; j++) {
                values[j] = number(ms.get(j), "ms_per_image");
            }
            return new StageTimesFile(string(o, "cpu"), integer(o, "threads"), integer(o, "batch_size"),
                    string(o, "arch"), integer(o, "patch_size"), integer(o, "input_size"), values,
                    number(o.get("full_network_ms_per_image"), "full_network_ms_per_image"));
        } catch (IllegalArgumentException | IllegalStateException | com.google.gson.JsonParseException e) {
            throw new IllegalArgumentException(file + " is not a stage times file (bench --stage-times writes one): "
                    + e.getMessage(), e);
        }
    }

    private static JsonArray array(JsonObject o, String field) {
        JsonElement v = o.get(field);
        if (v == null || !v.isJsonArray()) {
            throw new IllegalArgumentException(field + " must be an array");
        }
        return v.getAsJsonArray();
    }

    private static double number(JsonElement v, String field) {
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException(field + " must hold numbers, got " + v);
        }
        return v.getAsDouble();
    }

    private static int integer(JsonObject o, String field) {
        JsonElement v = o.get(field);
        if (!StrictJson.isInteger(v, 1, Integer.MAX_VALUE)) {
            throw new IllegalArgumentException(field + " must be a positive integer, got " + v);
        }
        return v.getAsInt();
    }

    private static String string(JsonObject o, String field) {
        JsonElement v = o.get(field);
        if (v == null || !v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(field + " must be a string, got " + v);
        }
        return v.getAsString();
    }
}
