package org.anchornet.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.anchornet.localize.PatchProposer;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.data.Transforms;

/**
 * Everything a training run is made with; saved into every checkpoint. Defaults are the reference scripts'
 * ({@link #anchorNetDefaults()}, {@link #downstreamDefaults(Mode)}); build variations with {@link #toBuilder()}.
 */
public record TrainingSettings(
        Mode mode,
        String arch,
        int numClasses,
        int epochs,
        int batchSize,
        double lr,
        Schedule schedule,
        List<Integer> milestones,
        double momentum,
        double weightDecay,
        boolean nesterov,
        long seed,
        int inputSize,
        int evalResize,
        int patchSize,
        int topK,
        double iou,
        Augment augment,
        Path checkpointDir,
        boolean resume,
        Optional<Path> pretrained,
        Optional<Path> anchorNet,
        int workers,
        boolean strict,
        boolean progress,
        int maxBatchesPerEpoch,
        int bnRecalibrationBatches,
        int patience,
        int plateauDrops,
        Optional<StageTargets> stageTargets,
        boolean keepStart) {

    /**
     * Patch training aimed at the stages (beyond the paper): the loss is taken on what the cascade scores, the running
     * sums of the frozen glance network's logits and the patch logits of windows 1..j, with soft targets from a frozen
     * teacher (the converged full-resolution network) mixed in; validation scores the same stage outputs. Absent, the
     * paper's recipe: every window alone with its image's label, validated on five crops.
     *
     * <p>With {@code foldGlances} (cross-fitting, beyond the paper), the training stages take their glance logits
     * from networks that never saw the image: training image i gets those of {@code foldGlances[i mod K]}, a glance
     * network fine-tuned on the other folds ({@link #outOfFold}). The glance the cascade deploys has seen every
     * training image, so on them it is more often right than it will be on new images, and the patch network would
     * learn to complete a glance better than the real one. Validation uses the deployed glance.
     *
     * @param glance the glance network's weights (the cascade's stage 1)
     * @param teacher the full-resolution network whose softened predictions are the soft targets
     * @param distillation weight of the soft-target term in [0, 1] (0: labels only)
     * @param temperature softening of both distributions in the soft-target term (its gradient is scaled by T²)
     * @param foldGlances empty, or K ≥ 2 glance networks, network f fine-tuned without fold f of the training images
     */
    public record StageTargets(Path glance, Path teacher, double distillation, double temperature,
            List<Path> foldGlances) {
        public StageTargets {
            if (glance == null || teacher == null || !(distillation >= 0 && distillation <= 1)
                    || !(temperature > 0)) {
                throw new IllegalArgumentException("stage targets need the glance and teacher weights, a soft-target"
                        + " weight in [0, 1] and a positive temperature");
            }
            foldGlances = List.copyOf(foldGlances);
            if (foldGlances.size() == 1) {
                throw new IllegalArgumentException("cross-fitting needs at least two fold glance networks, got one");
            }
        }

        /** The deployed glance for every image. */
        public StageTargets(Path glance, Path teacher, double distillation, double temperature) {
            this(glance, teacher, distillation, temperature, List.of());
        }

        /** The fold of training image {@code index} among {@code folds}. */
        public static int foldOf(int index, int folds) {
            return index % folds;
        }

        /** The training images fold {@code fold}'s glance network is fine-tuned on: every one outside that fold. */
        public static int[] outOfFold(int size, int fold, int folds) {
            if (folds < 2 || fold < 0 || fold >= folds) {
                throw new IllegalArgumentException("fold " + fold + " of " + folds + " does not exist");
            }
            return java.util.stream.IntStream.range(0, size).filter(i -> foldOf(i, folds) != fold).toArray();
        }
    }

    /** What is trained, on what input. */
    public enum Mode {
        /** AnchorNet on whole images. */
        ANCHORNET,
        /** The downstream net on the glance: the image resized (bicubic, align_corners) to the patch size. */
        RESIZED,
        /** The downstream net on AnchorNet's top-k patches, each with its image's label. */
        PATCH,
        /** The downstream net on whole images at full resolution (the baseline). */
        FULL
    }

    /** Learning-rate schedule over epochs. */
    public enum Schedule {
        /** ×0.1 at each milestone epoch. */
        MULTISTEP,
        /** Cosine decay from the initial rate to 0 over {@code epochs}. */
        COSINE,
        /**
         * The initial rate until validation top-1 has not improved for {@code patience} epochs, then ×0.1; after
         * {@code plateauDrops} drops the next such stall ends the run (at most {@code epochs} epochs): training until
         * validation stops improving.
         */
        PLATEAU
    }

    /** Training-time augmentation. */
    public enum Augment {
        /** RandomResizedCrop + horizontal flip, as the reference. */
        RRC,
        /** Horizontal flip only (for data whose framing carries the label's location, like cluttered canvases). */
        FLIP,
        NONE
    }

    public TrainingSettings {
        milestones = List.copyOf(milestones);
        if (epochs < 1 || batchSize < 1 || !(lr > 0) || numClasses < 1 || topK < 1 || patchSize < 1
                || inputSize < 1 || workers < 0 || maxBatchesPerEpoch < 0 || bnRecalibrationBatches < 0
                || patience < 0 || plateauDrops < 0) {
            throw new IllegalArgumentException("invalid training settings: epochs, batch size, lr, classes and sizes"
                    + " must be positive, patience and drops not negative");
        }
        if (!(iou >= 0 && iou <= 1)) {
            throw new IllegalArgumentException("the IoU threshold must lie in [0, 1], got " + iou);
        }
        if (schedule == Schedule.PLATEAU && patience < 1) {
            throw new IllegalArgumentException("the plateau schedule needs a patience of at least one epoch");
        }
        if (mode == Mode.PATCH && anchorNet.isEmpty()) {
            throw new IllegalArgumentException("patch mode needs AnchorNet's weights (AnchorNet picks the patches)");
        }
        if (keepStart && pretrained.isEmpty()) {
            throw new IllegalArgumentException("keeping the starting weights needs weights to start from (pretrained)");
        }
        if (stageTargets.isPresent() && mode != Mode.PATCH) {
            throw new IllegalArgumentException("stage targets are for patch training, not " + mode.name()
                    .toLowerCase(java.util.Locale.ROOT));
        }
        if (mode == Mode.ANCHORNET && !arch.equals(Architectures.ANCHORNET)) {
            throw new IllegalArgumentException("AnchorNet mode trains 'anchornet', not " + arch);
        }
        if (mode != Mode.ANCHORNET && arch.equals(Architectures.ANCHORNET)) {
            throw new IllegalArgumentException("the downstream network cannot be anchornet");
        }
    }

    /** The rate of each epoch for the fixed schedules; the plateau schedule's rate depends on validation. */
    public LrSchedule lrSchedule() {
        return switch (schedule) {
            case COSINE -> new LrSchedule.Cosine(lr, epochs);
            case MULTISTEP -> new LrSchedule.MultiStep(lr, milestones);
            case PLATEAU -> new LrSchedule.MultiStep(lr, List.of());
        };
    }

    /** The settings as plain values for a checkpoint's {@code config}. */
    public Map<String, Object> asMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode.name().toLowerCase());
        m.put("arch", arch);
        m.put("num_classes", (long) numClasses);
        m.put("epochs", (long) epochs);
        m.put("batch_size", (long) batchSize);
        m.put("lr", lr);
        m.put("schedule", schedule.name().toLowerCase());
        m.put("milestones", milestones.stream().map(Integer::longValue).toList());
        m.put("momentum", momentum);
        m.put("weight_decay", weightDecay);
        m.put("nesterov", nesterov);
        m.put("seed", seed);
        m.put("input_size", (long) inputSize);
        m.put("patch_size", (long) patchSize);
        m.put("topk", (long) topK);
        m.put("iou", iou);
        m.put("augment", augment.name().toLowerCase());
        m.put("bn_recalibration_batches", (long) bnRecalibrationBatches);
        m.put("patience", (long) patience);
        m.put("plateau_drops", (long) plateauDrops);
        m.put("eval_resize", (long) evalResize);
        stageTargets.ifPresent(t -> { // only when set, so checkpoints of the paper's recipe still resume
            m.put("patch_objective", "stages");
            m.put("distillation", t.distillation());
            m.put("temperature", t.temperature());
            if (!t.foldGlances().isEmpty()) {
                m.put("cross_fit_folds", (long) t.foldGlances().size());
            }
        });
        if (keepStart) { // likewise only when set
            m.put("keep_start", true);
        }
        return m;
    }

    /**
     * train_anchornet.py: SGD 0.1, momentum 0.9, wd 1e-4, Nesterov, ×0.1 at 30/60/90, 100 epochs, batch 256. Plus
     * batch-norm statistics recomputed before every validation: AnchorNet's running statistics drift far from its
     * batch statistics while it trains (measured on Cluttered Fashion-MNIST: 17% top-1 in eval mode against 71%
     * with batch statistics after 4 epochs), and 50 forward passes at fixed weights bring them back.
     */
    public static Builder anchorNetDefaults() {
        return new Builder(Mode.ANCHORNET, Architectures.ANCHORNET).lr(0.1).schedule(Schedule.MULTISTEP)
                .milestones(List.of(30, 60, 90)).epochs(100).batchSize(256).bnRecalibrationBatches(50);
    }

    /** train_downnet_*.py: SGD from 0.01 with cosine decay, 30 epochs. */
    public static Builder downstreamDefaults(Mode mode) {
        return new Builder(mode, org.anchornet.model.Architectures.REFERENCE_DOWNSTREAM).lr(0.01)
                .schedule(Schedule.COSINE).epochs(30).batchSize(64);
    }

    public Builder toBuilder() {
        Builder b = new Builder(mode, arch);
        b.numClasses = numClasses;
        b.epochs = epochs;
        b.batchSize = batchSize;
        b.lr = lr;
        b.schedule = schedule;
        b.milestones = milestones;
        b.momentum = momentum;
        b.weightDecay = weightDecay;
        b.nesterov = nesterov;
        b.seed = seed;
        b.inputSize = inputSize;
        b.evalResize = evalResize;
        b.patchSize = patchSize;
        b.topK = topK;
        b.iou = iou;
        b.augment = augment;
        b.checkpointDir = checkpointDir;
        b.resume = resume;
        b.pretrained = pretrained;
        b.anchorNet = anchorNet;
        b.workers = workers;
        b.strict = strict;
        b.progress = progress;
        b.maxBatchesPerEpoch = maxBatchesPerEpoch;
        b.bnRecalibrationBatches = bnRecalibrationBatches;
        b.patience = patience;
        b.plateauDrops = plateauDrops;
        b.stageTargets = stageTargets;
        b.keepStart = keepStart;
        return b;
    }

    /** Fluent builder; unset options keep the reference's defaults. */
    public static final class Builder {
        private Mode mode;
        private String arch;
        private int numClasses = 1000;
        private int epochs = 30;
        private int batchSize = 64;
        private double lr = 0.01;
        private Schedule schedule = Schedule.COSINE;
        private List<Integer> milestones = List.of();
        private double momentum = 0.9;
        private double weightDecay = 1e-4;
        private boolean nesterov = true;
        private long seed;
        private int inputSize = Transforms.DEFAULT_INPUT_SIZE;
        private int evalResize = 256;
        private int patchSize = AnchorNet.window().size();
        private int topK = PatchProposer.DEFAULT_TOP_K;
        private double iou = PatchProposer.DEFAULT_IOU;
        private Augment augment = Augment.RRC;
        private Path checkpointDir = Path.of("checkpoints");
        private boolean resume;
        private Optional<Path> pretrained = Optional.empty();
        private Optional<Path> anchorNet = Optional.empty();
        private int workers = Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
        private boolean strict;
        private boolean progress = true;
        private int maxBatchesPerEpoch;
        private int bnRecalibrationBatches;
        private int patience;
        private int plateauDrops = 2;
        private Optional<StageTargets> stageTargets = Optional.empty();
        private boolean keepStart;

        Builder(Mode mode, String arch) {
            this.mode = mode;
            this.arch = arch;
        }

        public Builder mode(Mode v) { mode = v; return this; }
        public Builder arch(String v) { arch = v; return this; }
        public Builder numClasses(int v) { numClasses = v; return this; }
        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder schedule(Schedule v) { schedule = v; return this; }
        public Builder milestones(List<Integer> v) { milestones = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder nesterov(boolean v) { nesterov = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder inputSize(int v) { inputSize = v; return this; }
        public Builder evalResize(int v) { evalResize = v; return this; }
        public Builder patchSize(int v) { patchSize = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder iou(double v) { iou = v; return this; }
        public Builder augment(Augment v) { augment = v; return this; }
        public Builder checkpointDir(Path v) { checkpointDir = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }
        public Builder pretrained(Path v) { pretrained = Optional.ofNullable(v); return this; }
        public Builder anchorNet(Path v) { anchorNet = Optional.ofNullable(v); return this; }
        public Builder workers(int v) { workers = v; return this; }
        public Builder strict(boolean v) { strict = v; return this; }
        public Builder progress(boolean v) { progress = v; return this; }
        /** Stop each epoch after this many batches (0 = all); for smoke runs. */
        public Builder maxBatchesPerEpoch(int v) { maxBatchesPerEpoch = v; return this; }
        /** Forward passes in training mode (no updates) that refresh batch-norm statistics before validation. */
        public Builder bnRecalibrationBatches(int v) { bnRecalibrationBatches = v; return this; }
        /**
         * Epochs without a better validation top-1 before the plateau schedule lowers the rate, or (other schedules)
         * before the run stops; 0 = never stop early.
         */
        public Builder patience(int v) { patience = v; return this; }
        /** Rate drops of the plateau schedule before a stall ends the run. */
        public Builder plateauDrops(int v) { plateauDrops = v; return this; }
        /** Patch mode: train on the stage outputs with soft targets ({@link StageTargets}); null for the paper's. */
        public Builder stageTargets(StageTargets v) { stageTargets = Optional.ofNullable(v); return this; }
        /**
         * Validate the pretrained weights before the first epoch and keep them as the best unless an epoch beats them:
         * a refinement that cannot end worse on validation than where it started.
         */
        public Builder keepStart(boolean v) { keepStart = v; return this; }

        public TrainingSettings build() {
            return new TrainingSettings(mode, arch, numClasses, epochs, batchSize, lr, schedule, milestones, momentum,
                    weightDecay, nesterov, seed, inputSize, evalResize, patchSize, topK, iou, augment, checkpointDir,
                    resume, pretrained, anchorNet, workers, strict, progress, maxBatchesPerEpoch,
                    bnRecalibrationBatches, patience, plateauDrops, stageTargets, keepStart);
        }
    }
}
