package org.anchornet.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.anchornet.data.ImageDataset;
import org.anchornet.model.AnchorNet;
import org.anchornet.train.EpochResult;
import org.anchornet.train.TrainingRun;
import org.anchornet.train.TrainingSettings;

/**
 * Trains the demo's networks, each in its own checkpoint folder under {@code checkpoints/}; a network whose run has
 * finished is not trained again, and an interrupted one continues after its last finished epoch.
 */
final class DemoTraining {
    /**
     * The best weights of every network.
     *
     * @param paperPatch the paper's patch network, which a stage recipe refines into {@code patch}
     */
    record Networks(Path pretrained, Path anchorNet, Path glance, Path baseline, Path patch, Path paperPatch,
            Map<Integer, Path> resolutions) {}

    /** Announces a step in the demo's log, and how long its training took. */
    interface Steps {
        /** @param key the step's name in the {@link RunPlan} */
        void announce(String key, String what);

        /**
         * A network of the current step has trained for {@code seconds}, summed over all its epochs, those of an
         * earlier process included when the run resumed: its true cost, where the step's wall time is only the rest.
         */
        void trained(double seconds);
    }

    private final DemoSettings s;
    private final PrintWriter log;
    private final Steps steps;
    private final PipelineData data;
    private final ImageDataset train;
    private final ImageDataset val;
    private final Path dir;

    DemoTraining(DemoSettings settings, PrintWriter log, Steps steps, PipelineData data) {
        this.s = settings;
        this.log = log;
        this.steps = steps;
        this.data = data;
        this.train = data.train();
        this.val = data.val();
        this.dir = settings.outDir().resolve("checkpoints");
    }

    /** The glance side: AnchorNet's window, which is also the patch side. */
    static int glanceSize() {
        return AnchorNet.window().size();
    }

    Networks trainAll() throws IOException {
        Path pretrained = null;
        if (s.pretrained() != null) {
            pretrained = Path.of(s.pretrained()); // every downstream network starts from it; its head is replaced
            steps.announce("pretrained", "starting every downstream network from " + pretrained + " (no pretraining)");
            checkStart(s.arch(), pretrained, "--pretrained");
        } else if (s.pretrain().epochs() > 0) {
            boolean full = s.pretrainSide() == s.canvas();
            steps.announce("pretrain", "pretraining " + s.arch() + " from scratch on whole images at " + s.pretrainSide()
                    + " px (the shared start of every downstream network)");
            pretrained = fit(downstream(full ? TrainingSettings.Mode.FULL : TrainingSettings.Mode.RESIZED,
                    s.pretrain(), null).patchSize(full ? glanceSize() : s.pretrainSide()), "pretrained");
        }
        Path anchorStart = s.pretrainedAnchorNet() == null ? null : Path.of(s.pretrainedAnchorNet());
        if (anchorStart != null) {
            checkStart(org.anchornet.model.Architectures.ANCHORNET, anchorStart, "--pretrained-anchornet");
        }
        steps.announce("anchornet", "training AnchorNet" + (anchorStart != null ? " from " + anchorStart : ""));
        Path anchor = fit(recipe(TrainingSettings.anchorNetDefaults(), s.anchorNet()).pretrained(anchorStart),
                "anchornet");
        steps.announce("glance", "fine-tuning the glance network (whole image resized to " + glanceSize() + " px)");
        Path glance = fit(downstream(TrainingSettings.Mode.RESIZED, s.fineTune(), pretrained).patchSize(glanceSize()),
                "glance");
        steps.announce("full", "fine-tuning the full-resolution " + s.arch() + " (the baseline, " + s.canvas() + " px)");
        Path baseline = fit(downstream(TrainingSettings.Mode.FULL, s.fineTune(), pretrained), "full");
        steps.announce("patch", "fine-tuning the patch network on AnchorNet's top-" + s.topK() + " windows");
        Path paper = fit(downstream(TrainingSettings.Mode.PATCH, s.patchFineTune(), pretrained).anchorNet(anchor)
                .topK(s.topK()).iou(s.iou()), "patch");
        Path patch = s.patchRecipe() == DemoSettings.PatchRecipe.PAPER ? paper
                : stageRefined(pretrained, anchor, glance, baseline, paper);
        Map<Integer, Path> resolutions = new LinkedHashMap<>();
        for (int side : s.resolutions()) {
            steps.announce("resized-" + side, "fine-tuning the resolution-scaled baseline at " + side + " px");
            resolutions.put(side, fit(downstream(TrainingSettings.Mode.RESIZED, s.fineTune(), pretrained)
                    .patchSize(side), "resized-" + side));
        }
        return new Networks(pretrained, anchor, glance, baseline, patch, paper, resolutions);
    }

    /**
     * The paper's patch network refined on the stages (its own checkpoint folder): it starts from the paper's weights
     * and keeps them unless an epoch beats them on the stages; the cross-fitted refinement first fine-tunes one glance
     * network per fold of the training canvases, without that fold.
     */
    private Path stageRefined(Path pretrained, Path anchor, Path glance, Path baseline, Path paper) throws IOException {
        boolean crossFit = s.patchRecipe() == DemoSettings.PatchRecipe.STAGES_CROSS_FIT;
        List<Path> foldGlances = new ArrayList<>();
        int folds = crossFit ? DemoSettings.CROSS_FIT_FOLDS : 0;
        for (int f = 0; f < folds; f++) {
            int[] rows = TrainingSettings.StageTargets.outOfFold(train.size(), f, DemoSettings.CROSS_FIT_FOLDS);
            steps.announce("glance-fold-" + f, "fine-tuning glance network " + (f + 1) + " of " + DemoSettings.CROSS_FIT_FOLDS + " on the "
                    + rows.length + " training images outside its fold (cross-fitting)");
            foldGlances.add(fit(downstream(TrainingSettings.Mode.RESIZED, s.fineTune(), pretrained)
                    .patchSize(glanceSize()), "glance-fold-" + f, train.select(rows)));
        }
        steps.announce("patch-refined", "refining the patch network on the stages (glance + AnchorNet's top-" + s.topK()
                + " windows, running sums) with soft targets from the full-resolution network"
                + (crossFit ? ", each training image with the glance of the fold network that did not see it" : ""));
        return fit(downstream(TrainingSettings.Mode.PATCH, DemoSettings.stageRefinement(s.patchFineTune()), paper)
                .anchorNet(anchor).topK(s.topK()).iou(s.iou()).keepStart(true)
                .stageTargets(new TrainingSettings.StageTargets(glance, baseline, DemoSettings.STAGE_DISTILLATION,
                        DemoSettings.STAGE_TEMPERATURE, foldGlances)), crossFit ? "patch-cross-fit" : "patch-refined");
    }

    /** Refuses, before anything trains, weights that do not fit the architecture (keys, shapes; not the head). */
    private void checkStart(String arch, Path weights, String option) throws IOException {
        try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
            org.anchornet.model.StateDictMapper.loadFineTuneStart(org.anchornet.model.Architectures.get(arch)
                    .create(manager, data.classes().size(), 0), org.anchornet.torchio.StateDicts.load(weights));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + weights + " does not fit " + arch + ": "
                    + e.getMessage(), e);
        }
    }

    /** Test top-1 of a network trained in a mode (the baseline, a resolution-scaled one). */
    double evaluate(TrainingSettings.Mode mode, int resizeTo, Path weights, ImageDataset test) throws IOException {
        TrainingSettings settings = common(TrainingSettings.downstreamDefaults(mode).arch(s.arch()), "evaluation")
                .patchSize(resizeTo).pretrained(weights).progress(false).build();
        try (TrainingRun run = new TrainingRun(settings, new PrintWriter(java.io.Writer.nullWriter()))) {
            return run.evaluate(test);
        }
    }

    private TrainingSettings.Builder downstream(TrainingSettings.Mode mode, DemoSettings.Recipe recipe, Path from) {
        return recipe(TrainingSettings.downstreamDefaults(mode).arch(s.arch()), recipe).pretrained(from)
                .bnRecalibrationBatches(s.bnRecalibrationBatches());
    }

    private static TrainingSettings.Builder recipe(TrainingSettings.Builder b, DemoSettings.Recipe r) {
        return b.epochs(r.epochs()).lr(r.lr()).patience(r.patience()).schedule(r.patience() > 0
                ? TrainingSettings.Schedule.PLATEAU : TrainingSettings.Schedule.COSINE);
    }

    private TrainingSettings.Builder common(TrainingSettings.Builder b, String folder) {
        return b.numClasses(data.classes().size()).inputSize(s.canvas()).evalResize(data.evalResize())
                .batchSize(s.batchSize()).augment(data.augment()).checkpointDir(dir.resolve(folder))
                .seed(s.seed()).workers(s.workers()).progress(s.progress()).resume(true);
    }

    private Path fit(TrainingSettings.Builder b, String folder) throws IOException {
        return fit(b, folder, train);
    }

    private Path fit(TrainingSettings.Builder b, String folder, ImageDataset trainOn) throws IOException {
        try (TrainingRun run = new TrainingRun(common(b, folder).build(), log)) {
            TrainingRun.Result result = run.fit(trainOn, val);
            steps.trained(result.epochs().stream().mapToDouble(EpochResult::seconds).sum());
            return result.best();
        }
    }
}
