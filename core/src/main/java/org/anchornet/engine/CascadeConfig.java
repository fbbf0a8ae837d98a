package org.anchornet.engine;

import com.google.gson.annotations.SerializedName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;
import org.anchornet.exits.Answer;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.exits.StageCosts;
import org.anchornet.localize.PatchProposer;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.ReceptiveField;

/**
 * Everything a trained cascade is run with besides its weights, as {@code cascade.json} stores it (field names in
 * {@link SerializedName}): the downstream architecture and classes, the preprocessing, AnchorNet's window geometry,
 * how many windows and how they are suppressed, the thresholds of the exit rule, what each stage costs, how the
 * thresholds were fit, where the networks came from, and the SHA-256 of each weight file. Made with {@link #builder}
 * or read by {@link CascadePackage}; {@link #check} says what is wrong with one that was read.
 *
 * @param thresholds one per stage; {@code null} means the stage never lets an image leave early (the last stage takes
 *     every image still in whatever its entry says)
 * @param answer the answer rule ({@link Answer}), format 3 only; format 1 and 2 cascades answer with the exit stage
 * @param stageCosts multiply-adds of an image that leaves after each stage
 */
public record CascadeConfig(
        @SerializedName("format_version") int formatVersion,
        String arch,
        @SerializedName("num_classes") int numClasses,
        List<String> classes,
        @SerializedName("input_size") int inputSize,
        @SerializedName("eval_resize") int evalResize,
        List<Double> mean,
        List<Double> std,
        @SerializedName("patch_size") int patchSize,
        int stride,
        @SerializedName("topk") int topK,
        @SerializedName("iou_thresholds") List<Double> iouThresholds,
        List<Double> thresholds,
        @SerializedName("last_stage") Integer lastStage,
        String answer,
        @SerializedName("stage_costs") List<Long> stageCosts,
        @SerializedName("threshold_fit") ThresholdFit thresholdFit,
        Provenance provenance,
        Map<String, WeightFile> weights) {

    /** Largest input side: AnchorNet's map at 2048 px is 249×249 windows, far past any use of the method. */
    public static final int MAX_INPUT_SIZE = 2048;
    /** Largest resize before the crop: an 8192 px shorter side is 67 M pixels, within the decoder's pixel budget. */
    public static final int MAX_EVAL_RESIZE = 8192;
    /** Most classes a cascade may name (ImageNet-21k has 21,841). */
    public static final int MAX_CLASSES = 100_000;

    /** The version this code writes for a cascade answering with the exit stage. */
    public static final int FORMAT_VERSION = 2;
    /**
     * The version of a cascade with another {@link Answer} rule: format 2 plus {@code answer}. A reader that knows
     * only format 2 refuses it rather than answering by the wrong rule.
     */
    public static final int ANSWER_FORMAT = 3;
    /** Format 1 had no {@code last_stage}; a negative threshold (−1) let every image still in leave there. */
    public static final int FIRST_FORMAT = 1;
    /** Windows per image when nothing says otherwise ({@link PatchProposer#DEFAULT_TOP_K}). */
    public static final int DEFAULT_TOP_K = PatchProposer.DEFAULT_TOP_K;
    /** IoU threshold between windows when nothing says otherwise ({@link PatchProposer#DEFAULT_IOU}). */
    public static final double DEFAULT_IOU = PatchProposer.DEFAULT_IOU;

    /**
     * How the thresholds were chosen.
     *
     * @param method the fit ({@code cv:pj}, {@code search}, …), {@code risk-control}, or {@code given}
     * @param budget mean multiply-adds per image allowed, or null when none was set
     * @param table the exit table they were fit on (its file name or setup)
     * @param split which images of it: {@code val}, or e.g. {@code 50% of the rows (seed 0)}
     * @param riskControl the guarantee, for thresholds fit by risk control instead of a budget; else null
     * @param timeBudget the budget in measured time, for thresholds fit under one ({@code --budget-ms}); else null
     */
    public record ThresholdFit(
            String method,
            @SerializedName("budget_multiply_adds") Double budget,
            String table,
            String split,
            int images,
            @SerializedName("validation_top1") Double validationTop1,
            @SerializedName("validation_multiply_adds") Double validationMultiplyAdds,
            @SerializedName("risk_control") RiskBound riskControl,
            @SerializedName("time_budget") TimeBudget timeBudget) {
        /** A fit under a budget, or given by hand. */
        public ThresholdFit(String method, Double budget, String table, String split, int images,
                Double validationTop1, Double validationMultiplyAdds) {
            this(method, budget, table, split, images, validationTop1, validationMultiplyAdds, null, null);
        }
    }

    /**
     * A budget of time: mean milliseconds per image allowed, the stage times it was priced with (cumulative, from
     * {@code bench --stage-times}) and where they were measured, and the fit's mean time on validation.
     */
    public record TimeBudget(
            @SerializedName("budget_ms") double budgetMs,
            @SerializedName("stage_ms") double[] stageMs,
            String cpu,
            @SerializedName("validation_ms") double validationMs) {}

    /**
     * A risk-controlled fit's guarantee ({@link org.anchornet.exits.RiskControl}): with probability at least
     * 1 − delta, the share of images whose early answer is a loss ({@code risk}) is at most {@code maxRisk}; {@code
     * lambda} is the early stages' shared threshold, null when none was certified (every image runs to the last stage).
     */
    public record RiskBound(
            String risk,
            @SerializedName("max_risk") double maxRisk,
            double delta,
            Double lambda,
            @SerializedName("calibration_risk") double calibrationRisk,
            @SerializedName("p_value") double pValue) {}

    /**
     * Where the cascade came from.
     *
     * @param data what the networks were trained on (e.g. the generated data set with its seed and sizes)
     * @param networks per network ({@code anchornet}, {@code glance}, {@code patch}), its training as recorded in
     *     its checkpoint
     */
    public record Provenance(
            @SerializedName("project_version") String projectVersion,
            String created,
            Map<String, Object> data,
            Map<String, NetworkProvenance> networks) {}

    /**
     * @param source the checkpoint file the weights were taken from
     * @param training the training settings stored in that checkpoint (empty when it had none)
     */
    public record NetworkProvenance(String source, Long seed, Map<String, Object> training) {}

    /** A weight file of the package and its SHA-256 (hex). */
    public record WeightFile(String file, String sha256) {}

    /** The thresholds the exit rule uses, with the stage the cascade ends at. */
    public ExitThresholds exitThresholds() {
        ExitThresholds t = ExitThresholds.fromStored(thresholds, lastStage);
        return answer == null ? t : t.withAnswer(Answer.parse(answer));
    }

    public int stages() {
        return topK + 1;
    }

    public StageCosts costs() {
        return new StageCosts(stageCosts.stream().mapToLong(Long::longValue).toArray());
    }

    /**
     * The image the networks see, before normalization: Resize(eval_resize) then CenterCrop(input_size), as
     * torchvision's evaluation transforms do (an image whose shorter side is already eval_resize is not resampled).
     */
    public RgbImage evaluationImage(RgbImage image) {
        return Transforms.resizeAndCenterCrop(image, evalResize, inputSize);
    }

    /** The evaluation preprocessing: {@link #evaluationImage}, then ToTensor and Normalize(mean, std). */
    public float[] preprocess(RgbImage image) {
        return normalize(evaluationImage(image));
    }

    /** ToTensor and Normalize(mean, std) of an image {@link #evaluationImage} already made. */
    public float[] normalize(RgbImage evaluated) {
        return Transforms.toNormalizedChw(evaluated, floats(mean), floats(std));
    }

    /** The same configuration with other thresholds and the fit that chose them. */
    public CascadeConfig withThresholds(ExitThresholds t, ThresholdFit fit) {
        if (t.stages() != stages()) {
            throw new IllegalArgumentException(t.stages() + " thresholds for a cascade of " + stages() + " stages");
        }
        return new CascadeConfig(formatFor(t), arch, numClasses, classes, inputSize, evalResize, mean, std,
                patchSize, stride, topK, iouThresholds, t.stored(), t.lastStage() + 1, storedAnswer(t), stageCosts,
                fit, provenance, weights);
    }

    /** The same configuration recording these weight files. */
    public CascadeConfig withWeights(Map<String, WeightFile> files) {
        return new CascadeConfig(formatVersion, arch, numClasses, classes, inputSize, evalResize, mean, std, patchSize,
                stride, topK, iouThresholds, thresholds, lastStage, answer, stageCosts, thresholdFit, provenance,
                new LinkedHashMap<>(files));
    }

    /** The oldest format that holds these thresholds: 3 only when the answer rule is not the exit stage's. */
    private static int formatFor(ExitThresholds t) {
        return t.answer() == Answer.EXIT_STAGE ? FORMAT_VERSION : ANSWER_FORMAT;
    }

    private static String storedAnswer(ExitThresholds t) {
        return t.answer() == Answer.EXIT_STAGE ? null : t.answer().key();
    }


    /**
     * Checks every field of a configuration read from a file, and returns it; the message names the first field that
     * is wrong and why.
     */
    public CascadeConfig check() {
        if (formatVersion != FORMAT_VERSION && formatVersion != FIRST_FORMAT && formatVersion != ANSWER_FORMAT) {
            throw new IllegalArgumentException("format_version " + formatVersion + " is not supported (this version"
                    + " reads " + FIRST_FORMAT + ", " + FORMAT_VERSION + " and " + ANSWER_FORMAT + ")");
        }
        require(arch != null && Architectures.names().contains(arch) && !arch.equals(Architectures.ANCHORNET), "arch",
                "unknown downstream architecture '" + arch + "'; known: " + Architectures.names());
        require(numClasses >= 1 && numClasses <= MAX_CLASSES, "num_classes", "must lie in [1, " + MAX_CLASSES
                + "], got " + numClasses);
        require(classes != null && classes.size() == numClasses && classes.stream().noneMatch(java.util.Objects::isNull), "classes",
                "needs " + numClasses + " names (num_classes), got " + (classes == null ? "none" : classes.size()));
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String name : classes) {
            require(!name.isBlank(), "classes", "names may not be empty, got \"" + name + "\" at index "
                    + classes.indexOf(name));
            require(names.add(name), "classes", "\"" + name + "\" appears twice; every class needs its own name");
        }
        ReceptiveField field = AnchorNet.window();
        require(patchSize == field.size(), "patch_size", "AnchorNet's windows are " + field.size() + " px, got "
                + patchSize);
        require(stride == field.stride(), "stride", "AnchorNet's windows are " + field.stride() + " px apart, got "
                + stride);
        require(inputSize >= patchSize && inputSize <= MAX_INPUT_SIZE, "input_size", "must lie in [" + patchSize
                + " (the window), " + MAX_INPUT_SIZE + "], got " + inputSize);
        require(evalResize >= inputSize && evalResize <= MAX_EVAL_RESIZE, "eval_resize", "must lie in [input_size "
                + inputSize + ", " + MAX_EVAL_RESIZE + "], got " + evalResize);
        requireChannels(mean, "mean", false);
        requireChannels(std, "std", true);
        int cells = field.featureSize(inputSize) * field.featureSize(inputSize);
        require(topK >= 1 && topK <= cells, "topk", "must lie in [1, " + cells + "] (feature cells at " + inputSize
                + " px), got " + topK);
        require(iouThresholds != null && iouThresholds.size() == topK - 1, "iou_thresholds", "needs " + (topK - 1)
                + " values (one per window after the first, topk " + topK + "), got "
                + (iouThresholds == null ? "none" : iouThresholds.size()));
        for (Double iou : iouThresholds) {
            require(iou != null && iou >= 0 && iou <= 1, "iou_thresholds", "each must lie in [0, 1], got " + iou);
        }
        require(thresholds != null && thresholds.size() == topK + 1, "thresholds", "needs " + (topK + 1)
                + " entries (one per stage: the glance and " + topK + " windows), got "
                + (thresholds == null ? "none" : thresholds.size()));
        for (Double t : thresholds) {
            require(t == null || Double.isFinite(t), "thresholds", "each must be a number or null, got " + t);
        }
        if (formatVersion == ANSWER_FORMAT) {
            require(answer != null && Arrays.stream(Answer.values()).anyMatch(a -> a.key().equals(answer)), "answer",
                    "format 3 needs one of " + Arrays.stream(Answer.values()).map(Answer::key).toList() + ", got "
                            + answer);
        } else {
            require(answer == null, "answer", "is not part of format " + formatVersion + " (write format_version "
                    + ANSWER_FORMAT + ")");
        }
        if (formatVersion == FIRST_FORMAT) {
            require(lastStage == null, "last_stage", "is not part of format 1 (write format_version 2)");
        } else {
            require(lastStage != null && lastStage >= 1 && lastStage <= topK + 1, "last_stage", "must lie in [1, "
                    + (topK + 1) + "] (the stage where every image still in leaves), got " + lastStage);
            for (int j = 0; j < thresholds.size(); j++) {
                Double t = thresholds.get(j);
                require(j < lastStage - 1 ? t == null || (t >= 0 && t <= 1) : t == null, "thresholds",
                        "entries before last_stage must lie in [0, 1] or be null, and those from it on be null;"
                                + " stage " + (j + 1) + " has " + t);
            }
        }
        require(stageCosts != null && stageCosts.size() == topK + 1 && stageCosts.stream().allMatch(c -> c != null
                && c > 0), "stage_costs", "needs " + (topK + 1) + " positive multiply-add counts");
        // the costs are what the networks cost, not a free setting: reports and the server's saved-work metrics
        // are computed from them, so they must be the architecture's counted costs
        List<Long> counted = countedCosts();
        require(stageCosts.equals(counted), "stage_costs", "must be the multiply-adds counted for " + arch + " at "
                + patchSize + " px with AnchorNet at " + inputSize + " px and " + numClasses + " classes, "
                + counted + ", got " + stageCosts);
        require(weights != null, "weights", "missing");
        for (CascadeNetwork n : CascadeNetwork.values()) {
            WeightFile w = weights.get(n.key());
            require(w != null && w.file() != null && w.sha256() != null && w.sha256().matches("[0-9a-f]{64}"),
                    "weights." + n.key(), "needs a file name and a 64-digit hex sha256");
            require(w.file().equals(n.fileName()), "weights." + n.key(), "the file must be " + n.fileName()
                    + ", got " + w.file());
        }
        return this;
    }

    private List<Long> countedCosts() {
        return StageCostCounter.countList(topK + 1, arch, patchSize, inputSize, numClasses);
    }

    private static void requireChannels(List<Double> values, String field, boolean positive) {
        require(values != null && values.size() == 3 && values.stream().allMatch(v -> v != null && Double.isFinite(v)
                && (!positive || v > 0)), field, "needs 3 " + (positive ? "positive " : "") + "numbers (R, G, B)");
    }

    static void require(boolean ok, String field, String problem) {
        if (!ok) {
            throw new IllegalArgumentException("field '" + field + "': " + problem);
        }
    }

    private static float[] floats(List<Double> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i).floatValue();
        }
        return out;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Options of a new configuration; unset ones take the project's defaults ({@value #DEFAULT_TOP_K} windows, IoU
     * {@value #DEFAULT_IOU}, 224 px input without resizing, ImageNet's mean and std, no early exit). The window geometry
     * comes from AnchorNet's receptive field and the stage costs from counting the networks.
     */
    public static final class Builder {
        private String arch = Architectures.REFERENCE_DOWNSTREAM;
        private List<String> classes;
        private int inputSize = Transforms.DEFAULT_INPUT_SIZE;
        private Integer evalResize;
        private int topK = DEFAULT_TOP_K;
        private List<Double> iouThresholds;
        private ExitThresholds thresholds;
        private ThresholdFit thresholdFit;
        private Map<String, Object> data = Map.of();
        private final Map<String, NetworkProvenance> networks = new LinkedHashMap<>();

        private Builder() {}

        public Builder arch(String v) { arch = v; return this; }
        public Builder classes(List<String> v) { classes = List.copyOf(v); return this; }
        public Builder inputSize(int v) { inputSize = v; return this; }
        /** Side the image's shorter side is resized to before the centre crop; default: the input size. */
        public Builder evalResize(int v) { evalResize = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder iouThresholds(List<Double> v) { iouThresholds = new ArrayList<>(v); return this; }
        /** One per stage, null for never; default: every stage but the last never exits. */
        public Builder thresholds(ExitThresholds v) { thresholds = v; return this; }
        public Builder thresholdFit(ThresholdFit v) { thresholdFit = v; return this; }
        public Builder data(Map<String, Object> v) { data = new LinkedHashMap<>(v); return this; }
        public Builder network(String key, NetworkProvenance v) { networks.put(key, v); return this; }

        public CascadeConfig build() {
            if (classes == null) {
                throw new IllegalArgumentException("a cascade needs its class names");
            }
            ReceptiveField field = AnchorNet.window();
            List<Double> ious = iouThresholds != null ? iouThresholds
                    : new ArrayList<>(Collections.nCopies(Math.max(0, topK - 1), DEFAULT_IOU));
            ExitThresholds t = thresholds != null ? thresholds : ExitThresholds.neverEarly(topK + 1);
            if (ious.size() != topK - 1 || t.stages() != topK + 1) {
                throw new IllegalArgumentException("topk " + topK + " needs " + (topK - 1) + " IoU thresholds and "
                        + (topK + 1) + " exit thresholds, got " + ious.size() + " and " + t.stages());
            }
            List<Long> stageCosts = StageCostCounter.countList(topK + 1, arch, field.size(), inputSize,
                    classes.size());
            String version = CascadeConfig.class.getPackage().getImplementationVersion();
            Provenance provenance = new Provenance(version == null ? "development build" : version,
                    java.time.Instant.now().toString(), data, new LinkedHashMap<>(networks));
            Map<String, WeightFile> unsaved = new LinkedHashMap<>();
            return new CascadeConfig(formatFor(t), arch, classes.size(), classes, inputSize,
                    evalResize != null ? evalResize : inputSize, doubles(Transforms.MEAN), doubles(Transforms.STD),
                    field.size(), field.stride(), topK, ious, t.stored(), t.lastStage() + 1, storedAnswer(t),
                    stageCosts, thresholdFit, provenance, unsaved);
        }

        private static List<Double> doubles(float[] values) {
            List<Double> out = new ArrayList<>();
            for (float v : values) {
                out.add(Double.parseDouble(Float.toString(v))); // 0.485, not 0.48500001430511475
            }
            return out;
        }
    }
}
