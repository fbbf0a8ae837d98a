package org.anchornet.exits;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.anchornet.torchio.DType;
import org.anchornet.torchio.TorchFileException;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import org.anchornet.torchio.TorchWriter;

/**
 * What each stage of looking yields for N images and K stages: the max softmax confidence of the cumulative logits
 * after stage j, whether its argmax is right, and (for tables made here) the predicted class. Stored as a {@code
 * .pth} with the reference's keys ({@code setup}, {@code thresholds} N×K float32, {@code predictions} N×K bool) and
 * ours, so a table says what it is: predicted classes, labels, per-stage cost, architecture, patch size, IoU
 * thresholds, image ids. Data are kept stage-major for fast scoring.
 */
public final class ExitTable {
    /** What a table was made with; every field is optional for tables from the reference implementation. */
    public record Metadata(
            String setup,
            Optional<String> arch,
            Optional<Integer> patchSize,
            List<Double> iouThresholds,
            Optional<long[]> stageCosts,
            List<String> imageIds) {
        public Metadata {
            iouThresholds = List.copyOf(iouThresholds);
            imageIds = List.copyOf(imageIds);
        }

        public static Metadata of(String setup) {
            return new Metadata(setup, Optional.empty(), Optional.empty(), List.of(), Optional.empty(), List.of());
        }

        /**
         * The IoU thresholds the table was made with: recorded ones, else those the reference's setup string ends
         * with ({@code densenet201_95_[0.3, 0.3, 0.3, 0.3]}).
         */
        public Optional<List<Double>> iouThresholdsOrFromSetup() {
            if (!iouThresholds.isEmpty()) {
                return Optional.of(iouThresholds);
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("_\\[([0-9., ]*)\\]$").matcher(setup);
            if (!m.find() || m.group(1).isBlank()) {
                return Optional.empty();
            }
            List<Double> out = new ArrayList<>();
            for (String v : m.group(1).split(",")) {
                out.add(Double.parseDouble(v.strip()));
            }
            return Optional.of(out);
        }
    }

    private final int images;
    private final int stages;
    private final float[][] confidence;
    private final boolean[][] correct;
    private final int[][] predicted;
    private final long[] labels;
    private final Metadata metadata;

    /**
     * @param confidence [stage][image] max softmax confidence
     * @param correct [stage][image] whether that stage's prediction is right
     * @param predicted [stage][image] predicted class, or null when unknown
     * @param labels per image, or null when unknown
     */
    public ExitTable(float[][] confidence, boolean[][] correct, int[][] predicted, long[] labels, Metadata metadata) {
        if (confidence.length == 0 || confidence.length != correct.length) {
            throw new IllegalArgumentException("confidences and correctness must have the same, non-zero number of"
                    + " stages: " + confidence.length + " vs " + correct.length);
        }
        this.stages = confidence.length;
        this.images = confidence[0].length;
        for (int j = 0; j < stages; j++) {
            if (confidence[j].length != images || correct[j].length != images
                    || (predicted != null && predicted[j].length != images)) {
                throw new IllegalArgumentException("stage " + (j + 1) + " does not hold " + images + " images");
            }
        }
        if (labels != null && labels.length != images) {
            throw new IllegalArgumentException(labels.length + " labels for " + images + " images");
        }
        if (metadata.stageCosts().isPresent() && metadata.stageCosts().get().length != stages) {
            throw new IllegalArgumentException(metadata.stageCosts().get().length + " stage costs for " + stages
                    + " stages");
        }
        if (!metadata.imageIds().isEmpty() && metadata.imageIds().size() != images) {
            throw new IllegalArgumentException(metadata.imageIds().size() + " image ids for " + images + " images");
        }
        this.confidence = confidence;
        this.correct = correct;
        this.predicted = predicted;
        this.labels = labels;
        this.metadata = metadata;
    }

    public int images() {
        return images;
    }

    public int stages() {
        return stages;
    }

    public float confidence(int stage, int image) {
        return confidence[stage][image];
    }

    public boolean correct(int stage, int image) {
        return correct[stage][image];
    }

    /** Confidences of one stage (the array itself; do not modify). */
    float[] confidenceColumn(int stage) {
        return confidence[stage];
    }

    boolean[] correctColumn(int stage) {
        return correct[stage];
    }

    public Optional<Integer> predicted(int stage, int image) {
        return predicted == null ? Optional.empty() : Optional.of(predicted[stage][image]);
    }

    public Optional<Long> label(int image) {
        return labels == null ? Optional.empty() : Optional.of(labels[image]);
    }

    public Metadata metadata() {
        return metadata;
    }

    /** Top-1 accuracy if every image stopped at the given stage (0-based). */
    public double stageAccuracy(int stage) {
        int right = 0;
        for (boolean c : correct[stage]) {
            right += c ? 1 : 0;
        }
        return images == 0 ? 0 : (double) right / images;
    }

    /** The table of a cascade that ends after its first {@code count} stages. */
    public ExitTable firstStages(int count) {
        if (count < 1 || count > stages) {
            throw new IllegalArgumentException("a table of " + stages + " stages has no first " + count);
        }
        Metadata meta = new Metadata(metadata.setup(), metadata.arch(), metadata.patchSize(), metadata.iouThresholds(),
                metadata.stageCosts().map(c -> Arrays.copyOf(c, count)), metadata.imageIds());
        return new ExitTable(Arrays.copyOf(confidence, count), Arrays.copyOf(correct, count),
                predicted == null ? null : Arrays.copyOf(predicted, count), labels, meta);
    }

    /**
     * The table as a cascade with this answer rule sees it: under {@link Answer#MOST_CONFIDENT} stage j holds the
     * answer of the most confident of stages 1..j (its confidence, correctness and class), so the exit rule and every
     * fit work on it unchanged; under {@link Answer#EXIT_STAGE} the table itself.
     */
    public ExitTable answeredBy(Answer answer) {
        if (answer == Answer.EXIT_STAGE) {
            return this;
        }
        float[][] conf = new float[stages][images];
        boolean[][] corr = new boolean[stages][images];
        int[][] pred = predicted == null ? null : new int[stages][images];
        for (int i = 0; i < images; i++) {
            int best = 0;
            for (int j = 0; j < stages; j++) {
                if (ExitRule.replacesAnswer(confidence[j][i], confidence[best][i])) {
                    best = j;
                }
                conf[j][i] = confidence[best][i];
                corr[j][i] = correct[best][i];
                if (pred != null) {
                    pred[j][i] = predicted[best][i];
                }
            }
        }
        return new ExitTable(conf, corr, pred, labels, metadata);
    }

    /** The rows at the given image indices, in that order. */
    public ExitTable subset(int[] rows) {
        float[][] conf = new float[stages][rows.length];
        boolean[][] corr = new boolean[stages][rows.length];
        int[][] pred = predicted == null ? null : new int[stages][rows.length];
        for (int j = 0; j < stages; j++) {
            for (int i = 0; i < rows.length; i++) {
                conf[j][i] = confidence[j][rows[i]];
                corr[j][i] = correct[j][rows[i]];
                if (pred != null) {
                    pred[j][i] = predicted[j][rows[i]];
                }
            }
        }
        long[] lab = labels == null ? null : Arrays.stream(rows).mapToLong(i -> labels[i]).toArray();
        List<String> ids = metadata.imageIds().isEmpty() ? List.of()
                : Arrays.stream(rows).mapToObj(i -> metadata.imageIds().get(i)).toList();
        Metadata meta = new Metadata(metadata.setup(), metadata.arch(), metadata.patchSize(), metadata.iouThresholds(),
                metadata.stageCosts(), ids);
        return new ExitTable(conf, corr, pred, lab, meta);
    }

    // ---- .pth I/O ----

    public void write(Path path) throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("setup", metadata.setup());
        out.put("thresholds", TorchTensor.ofFloats(imageMajor(confidence), images, stages));
        boolean[] flatCorrect = new boolean[images * stages];
        for (int i = 0; i < images; i++) {
            for (int j = 0; j < stages; j++) {
                flatCorrect[i * stages + j] = correct[j][i];
            }
        }
        out.put("predictions", TorchTensor.ofBooleans(flatCorrect, images, stages));
        if (predicted != null) {
            long[] flat = new long[images * stages];
            for (int i = 0; i < images; i++) {
                for (int j = 0; j < stages; j++) {
                    flat[i * stages + j] = predicted[j][i];
                }
            }
            out.put("predicted_classes", TorchTensor.ofLongs(flat, images, stages));
        }
        if (labels != null) {
            out.put("labels", TorchTensor.ofLongs(labels, images));
        }
        metadata.stageCosts().ifPresent(c -> out.put("stage_costs", TorchTensor.ofLongs(c, stages)));
        metadata.arch().ifPresent(a -> out.put("arch", a));
        metadata.patchSize().ifPresent(p -> out.put("patch_size", (long) p));
        out.put("iou_thresholds", new ArrayList<>(metadata.iouThresholds()));
        out.put("image_ids", new ArrayList<>(metadata.imageIds()));
        TorchWriter.write(path, out);
    }

    /** Reads a table made here or by the reference's make_table.py; every problem is a one-line error. */
    public static ExitTable read(Path path) throws TorchFileException {
        Map<String, Object> dict = TorchReader.readDict(path);
        try {
            return fromDict(dict);
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new TorchFileException(path + ": not a valid exit table: " + e.getMessage(), e);
        }
    }

    private static void requireClass(long value, String where) {
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + " is " + value + ", not a class index");
        }
    }

    private static ExitTable fromDict(Map<String, Object> dict) {
        TorchTensor conf = tensor(dict, "thresholds", true);
        TorchTensor pred = tensor(dict, "predictions", true);
        if (conf.dim() != 2 || !Arrays.equals(conf.shape(), pred.shape())) {
            throw new IllegalArgumentException("'thresholds' and 'predictions' must both be N×K, got "
                    + Arrays.toString(conf.shape()) + " and " + Arrays.toString(pred.shape()));
        }
        if (pred.dtype() != DType.BOOL && pred.dtype() != DType.UINT8) {
            throw new IllegalArgumentException("'predictions' must be bool, got " + pred.dtype());
        }
        int n = (int) conf.shape()[0];
        int k = (int) conf.shape()[1];
        float[] flatConfidence = conf.toFloatArray();
        for (int i = 0; i < flatConfidence.length; i++) {
            float c = flatConfidence[i];
            // a NaN compares false with every threshold: it would be scored and fit as if it never left
            if (!(c >= 0f && c <= 1f)) {
                throw new IllegalArgumentException("'thresholds' (confidences) must lie in [0, 1]; row " + (i / k)
                        + ", stage " + (i % k + 1) + " has " + c);
            }
        }
        float[][] confidence = stageMajor(flatConfidence, n, k);
        boolean[] flat = pred.toBooleanArray();
        boolean[][] correct = new boolean[k][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                correct[j][i] = flat[i * k + j];
            }
        }
        int[][] classes = null;
        TorchTensor classTensor = tensor(dict, "predicted_classes", false);
        if (classTensor != null) {
            if (!Arrays.equals(classTensor.shape(), conf.shape())) {
                throw new IllegalArgumentException("'predicted_classes' must be " + n + "×" + k);
            }
            long[] c = classTensor.toLongArray();
            classes = new int[k][n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < k; j++) {
                    requireClass(c[i * k + j], "'predicted_classes' row " + i + ", stage " + (j + 1));
                    classes[j][i] = (int) c[i * k + j];
                }
            }
        }
        TorchTensor labelTensor = tensor(dict, "labels", false);
        long[] labels = labelTensor == null ? null : labelTensor.toLongArray();
        if (labels != null) {
            for (int i = 0; i < labels.length; i++) {
                requireClass(labels[i], "'labels' row " + i);
            }
        }
        TorchTensor costTensor = tensor(dict, "stage_costs", false);
        Optional<long[]> costs = Optional.ofNullable(costTensor).map(TorchTensor::toLongArray);
        if (costs.isPresent()) {
            long[] c = costs.get();
            for (int j = 0; j < c.length; j++) {
                if (c[j] <= 0 || (j > 0 && c[j] < c[j - 1])) {
                    throw new IllegalArgumentException("'stage_costs' must be positive and never decrease (a stage"
                            + " adds work); stage " + (j + 1) + " has " + c[j]);
                }
            }
        }
        Object setup = dict.get("setup");
        if (!(setup instanceof String)) {
            throw new IllegalArgumentException("missing the 'setup' string");
        }
        List<Double> ious = new ArrayList<>();
        if (dict.get("iou_thresholds") instanceof List<?> list) {
            list.forEach(v -> ious.add(((Number) v).doubleValue()));
        }
        List<String> ids = new ArrayList<>();
        if (dict.get("image_ids") instanceof List<?> list) {
            list.forEach(v -> ids.add(String.valueOf(v)));
        }
        Metadata meta = new Metadata((String) setup,
                Optional.ofNullable(dict.get("arch")).map(String::valueOf),
                Optional.ofNullable((Number) dict.get("patch_size")).map(Number::intValue),
                ious, costs, ids);
        return new ExitTable(confidence, correct, classes, labels, meta);
    }

    private static TorchTensor tensor(Map<String, Object> dict, String key, boolean required) {
        Object value = dict.get(key);
        if (value == null) {
            if (required) {
                throw new IllegalArgumentException("missing key '" + key + "' (keys present: " + dict.keySet() + ")");
            }
            return null;
        }
        if (!(value instanceof TorchTensor t)) {
            throw new IllegalArgumentException("'" + key + "' must be a tensor, found " + value.getClass().getSimpleName());
        }
        return t;
    }

    private static float[] imageMajor(float[][] stageMajor) {
        int k = stageMajor.length;
        int n = stageMajor[0].length;
        float[] flat = new float[n * k];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                flat[i * k + j] = stageMajor[j][i];
            }
        }
        return flat;
    }

    private static float[][] stageMajor(float[] flat, int n, int k) {
        float[][] out = new float[k][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                out[j][i] = flat[i * k + j];
            }
        }
        return out;
    }
}
