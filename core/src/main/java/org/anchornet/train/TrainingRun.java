package org.anchornet.train;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ProgressBar;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ImageBatch;
import org.anchornet.data.ImageDataset;
import org.anchornet.io.Progress;
import org.anchornet.localize.Glance;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchCropper;
import org.anchornet.localize.Proposals;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.BatchNormAveraging;
import org.anchornet.model.StateDictMapper;
import org.anchornet.model.TorchModule;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchTensor;

/**
 * One training run of AnchorNet or a downstream network, in small pieces: {@link #trainEpoch}, {@link #evaluate} and
 * {@link #fit}, which saves every epoch in a {@link CheckpointFolder} (the checkpoint with the current and the best
 * weights, {@code best.pth}, {@code train_log.csv}; consistent whenever the process dies), follows the schedule and
 * early stopping, resumes after the last finished epoch, and stops with a clear error when training diverges.
 */
public final class TrainingRun implements AutoCloseable {
    /** Figures of one pass over the training data. */
    record TrainFigures(double loss, double top1, double imagesPerSecond, int steps) {}

    /**
     * What a run produced.
     *
     * @param epochs every epoch of the run, including those before a resume
     */
    public record Result(List<EpochResult> epochs, double bestTop1, int bestEpoch, Path best, Path last,
            int skippedFiles) {}

    private final TrainingSettings settings;
    private final PrintWriter log;
    private final Model model;
    private final TorchModule network;
    private final TorchSgd optimizer;
    private final Trainer trainer;
    private final NDManager anchorManager;
    private final Localizer localizer;
    private final StageObjective stages; // null unless the patch network is trained on the stages
    private final TrainingData data;

    public TrainingRun(TrainingSettings settings, PrintWriter log) throws IOException {
        this.settings = settings;
        this.log = log;
        this.data = new TrainingData(settings, log);
        this.model = Model.newInstance(settings.arch());
        try {
            network = Architectures.get(settings.arch()).create(model.getNDManager(), settings.numClasses(),
                    settings.seed());
            model.setBlock(network);
            if (network instanceof AnchorNet anchor) {
                anchor.receptiveField().featureSize(settings.inputSize()); // a clear error for too small inputs
            }
            if (settings.pretrained().isPresent()) {
                loadPretrained(settings.pretrained().get());
            }
            optimizer = TorchSgd.builder().setLearningRate((float) settings.lr()).optMomentum((float) settings.momentum())
                    .optWeightDecay((float) settings.weightDecay()).optNesterov(settings.nesterov()).build();
            if (network instanceof AnchorNet anchor) {
                Set<String> prefixes = anchor.unusedParameterPrefixes();
                optimizer.skipParameters(StateDictMapper.parameters(network).entrySet().stream()
                        .filter(e -> prefixes.stream().anyMatch(e.getKey()::startsWith))
                        .map(e -> e.getValue().getId()).collect(Collectors.toSet()));
            }
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(optimizer));
            if (settings.mode() == TrainingSettings.Mode.PATCH) {
                anchorManager = model.getNDManager().newSubManager();
                AnchorNet anchor = Architectures.loadAnchorNet(anchorManager, settings.numClasses(),
                        settings.anchorNet().get());
                localizer = Localizer.of(anchor, settings.inputSize(),
                        Collections.nCopies(settings.topK() - 1, settings.iou()));
            } else {
                anchorManager = null;
                localizer = null;
            }
            stages = settings.stageTargets().isPresent() ? new StageObjective(model.getNDManager(), settings) : null;
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    private void loadPretrained(Path file) throws IOException {
        StateDictMapper.loadFineTuneStart(network, StateDicts.load(file));
        log.println("loaded " + file);
    }

    /**
     * Trains until the run is finished (all epochs, or early stopping); with {@code resume}, continues after the last
     * finished epoch, and returns at once for a run that already finished.
     */
    public Result fit(ImageDataset train, ImageDataset val) throws IOException {
        if (!train.classNames().equals(val.classNames())) {
            throw new IllegalArgumentException("the validation classes " + val.classNames() + " differ from the"
                    + " training classes " + train.classNames() + "; validation would measure nothing");
        }
        try (CheckpointFolder folder = CheckpointFolder.open(settings.checkpointDir(), settings.mode().name()
                .toLowerCase(Locale.ROOT) + " training of " + settings.arch() + ", seed " + settings.seed())) {
            Checkpoint state = start(folder);
            int skipped = 0;
            try (BatchLoader trainLoader = data.loader(train, data::trainTransform, true);
                    BatchLoader valLoader = data.loader(val, data::evalTransform, false)) {
                if (settings.keepStart() && state.state().epochsDone() == 0) {
                    state = scoreStart(trainLoader, valLoader);
                }
                while (!state.state().finished()) {
                    state = epoch(state, trainLoader, valLoader, folder);
                }
                skipped = trainLoader.skipped() + valLoader.skipped();
            }
            log.println(state.state().ending(settings) + String.format(Locale.ROOT, "; best validation top-1"
                    + " %.2f%% (%s)", 100 * state.state().bestTop1(), state.state().bestWeights()));
            log.flush();
            return new Result(state.state().history(), state.state().bestTop1(), state.state().bestEpoch(),
                    folder.best(), folder.checkpoint(), skipped);
        }
    }

    /** A fresh start, or the restored checkpoint with best.pth and the log brought in line with it. */
    private Checkpoint start(CheckpointFolder folder) throws IOException {
        Path last = folder.checkpoint();
        if (settings.resume() && Files.exists(last)) {
            Checkpoint restored = Checkpoint.restore(last, network, optimizer, model.getNDManager(), settings);
            restored = folder.withBestWeights(restored, StateDictMapper.stateDict(network, restored.state().steps()));
            folder.reconcile(restored, log);
            log.printf(Locale.ROOT, "resumed from %s after epoch %d (best top-1 %.2f%% at epoch %d)%s%n", last,
                    restored.state().epochsDone(), 100 * restored.state().bestTop1(), restored.state().bestEpoch(),
                    restored.state().finished() ? "; the run had already finished" : "");
            return restored;
        }
        if (settings.resume()) {
            log.println("nothing to resume in " + settings.checkpointDir() + " (no " + CheckpointFolder.CHECKPOINT
                    + "): starting from the first epoch");
        } else if (Files.exists(last)) {
            log.println("starting over in " + settings.checkpointDir() + ": its earlier checkpoint will be replaced"
                    + " (resume to continue it instead)");
        }
        return new Checkpoint(RunState.start(settings), Map.of(), settings.arch(), settings.seed(), settings.asMap());
    }

    /**
     * The starting weights, recalibrated and validated as an epoch's would be: the best until an epoch beats them.
     * Nothing is saved yet; a run killed before its first epoch scores them again.
     */
    private Checkpoint scoreStart(BatchLoader trainLoader, BatchLoader valLoader) {
        recalibrateBatchNorm(trainLoader, 0);
        double top1 = evaluate(valLoader);
        log.printf(Locale.ROOT, "starting weights: val top-1 %.2f%% (kept unless an epoch beats them)%n", 100 * top1);
        log.flush();
        return new Checkpoint(RunState.startScored(settings, top1), StateDictMapper.stateDict(network, 0),
                settings.arch(), settings.seed(), settings.asMap());
    }

    /** One epoch: train, recalibrate, validate, check the weights, save. */
    private Checkpoint epoch(Checkpoint before, BatchLoader trainLoader, BatchLoader valLoader,
            CheckpointFolder folder) throws IOException {
        RunState state = before.state();
        int epoch = state.epochsDone();
        long t0 = System.nanoTime();
        double lr = state.nextRate(settings);
        optimizer.setLearningRate((float) lr);
        double waitBefore = trainLoader.waitSeconds();
        TrainFigures figures = trainEpoch(trainLoader, epoch);
        recalibrateBatchNorm(trainLoader, epoch);
        double valTop1 = evaluate(valLoader);
        TrainingDivergedException.checkParameters(network, epoch);
        double seconds = (System.nanoTime() - t0) / 1e9;
        EpochResult r = new EpochResult(epoch + 1, lr, figures.loss(), figures.top1(), valTop1,
                figures.imagesPerSecond(), trainLoader.waitSeconds() - waitBefore, seconds);
        RunState next = state.after(r, figures.steps(), settings);
        Map<String, TorchTensor> best = next.lastImproved() ? StateDictMapper.stateDict(network, next.steps())
                : before.best();
        Checkpoint after = new Checkpoint(next, best, settings.arch(), settings.seed(), settings.asMap());
        folder.save(after, file -> Checkpoint.save(file, network, optimizer, after));
        log.printf(Locale.ROOT, "epoch %d/%d  lr %.5f  loss %.4f  train top-1 %.2f%%  val top-1 %.2f%%  %.1f img/s"
                + "  data wait %.1fs  %.0fs%s%s%n", r.epoch(), settings.epochs(), lr, r.trainLoss(),
                100 * r.trainTop1(), 100 * r.valTop1(), r.imagesPerSecond(), r.dataWaitSeconds(), seconds,
                next.lastImproved() ? "  (best)" : "", next.eta(settings));
        log.flush();
        return after;
    }

    /** One pass over the training data. */
    TrainFigures trainEpoch(BatchLoader loader, int epoch) {
        int total = settings.maxBatchesPerEpoch() > 0 ? Math.min(settings.maxBatchesPerEpoch(), loader.batchesPerEpoch())
                : loader.batchesPerEpoch();
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        int batches = 0;
        long t0 = System.nanoTime();
        try (ProgressBar bar = Progress.bar("epoch " + (epoch + 1) + "/" + settings.epochs(), total,
                settings.progress())) {
            for (BatchLoader.Batch batch : loader.epoch(settings.seed(), epoch, true)) {
                if (batches == total) {
                    break;
                }
                if (batch.size() == 0) {
                    continue;
                }
                StepFigures step = step(batch.images(), batch.labels(), batch.indices(), epoch, batches);
                lossSum += step.loss() * step.counted();
                correct += step.correct();
                seen += step.counted();
                batches++;
                if (bar != null) {
                    double rate = seen / ((System.nanoTime() - t0) / 1e9);
                    bar.step();
                    bar.setExtraMessage(String.format(Locale.ROOT, " loss %.3f top-1 %.1f%% %.0f img/s", lossSum / seen,
                            100.0 * correct / seen, rate));
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new TrainFigures(seen == 0 ? Double.NaN : lossSum / seen, seen == 0 ? 0 : (double) correct / seen,
                seen / seconds, batches);
    }

    /** One optimizer step's figures: its mean loss, and how many of the predictions it counted were right. */
    public record StepFigures(double loss, long correct, long counted) {}

    /**
     * One optimizer step on a batch of images with their labels, as every epoch takes them: forward, the run's loss,
     * backward, update; one scope for the step's arrays. For timing training steps without a data set.
     */
    public StepFigures trainStep(ImageBatch images, int[] labels) {
        return step(images, labels, null, 0, 0);
    }

    /** {@code indices}: the images' places in the training set (they choose cross-fitted glances), or null. */
    private StepFigures step(ImageBatch images, int[] labelArray, int[] indices, int epoch, int stepIndex) {
        try (NDManager scope = model.getNDManager().newSubManager()) {
            NDArray x = images.toNDArray(scope);
            NDArray y = scope.create(java.util.Arrays.stream(labelArray).asLongStream().toArray());
            NDArray inputs = trainingInputs(x);
            StageObjective.Frozen frozen = stages == null ? null : stages.frozen(x, indices, true);
            NDArray labels = y;
            if (settings.mode() == TrainingSettings.Mode.PATCH) {
                y = y.repeat(0, settings.topK());
            }
            StepFigures figures;
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDList out = trainer.forward(new NDList(inputs));
                NDArray logits = out.get(out.size() - 1);
                NDArray loss;
                if (stages != null) {
                    NDArray z = stages.stageLogits(frozen.glanceLogits(), logits);
                    loss = stages.loss(z, labels, frozen.teacherLogits());
                    logits = z.reshape(y.size(), -1); // counted as the stages predict
                } else {
                    loss = trainer.getLoss().evaluate(new NDList(y), new NDList(logits));
                }
                float value = loss.getFloat();
                TrainingDivergedException.checkLoss(value, epoch, stepIndex);
                collector.backward(loss);
                figures = new StepFigures(value, logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false)
                        .eq(y).sum().getLong(), y.size());
            }
            trainer.step();
            return figures;
        }
    }

    /**
     * Recomputes batch-norm running statistics at the current weights: forward passes in training mode over training
     * batches, with no gradients and no updates; the statistics become the plain mean over the passes, whatever the
     * layers' own momentum ({@link BatchNormAveraging}).
     */
    void recalibrateBatchNorm(BatchLoader loader, int epoch) {
        int left = settings.bnRecalibrationBatches();
        if (left == 0) {
            return;
        }
        ParameterStore store = new ParameterStore(model.getNDManager(), false);
        try (BatchNormAveraging averaging = BatchNormAveraging.start(network)) {
            for (BatchLoader.Batch batch : loader.epoch(settings.seed() + 7919, epoch, true)) {
                if (left-- == 0) {
                    break;
                }
                try (NDManager scope = model.getNDManager().newSubManager()) {
                    NDArray inputs = trainingInputs(batch.images().toNDArray(scope));
                    inputs.tempAttach(scope);
                    averaging.nextPass();
                    network.forward(store, new NDList(inputs), true);
                }
            }
        }
    }

    /** Recomputes batch-norm statistics over training batches at the current weights (no updates). */
    public void recalibrateBatchNorm(ImageDataset train) {
        try (BatchLoader loader = data.loader(train, data::trainTransform, true)) {
            recalibrateBatchNorm(loader, 0);
        }
    }

    /** Top-1 accuracy on a data set with the evaluation preprocessing. */
    public double evaluate(ImageDataset val) {
        try (BatchLoader loader = data.loader(val, data::evalTransform, false)) {
            return evaluate(loader);
        }
    }

    /** Top-1 accuracy on validation data, with each mode's evaluation inputs (patch mode: five crops, mean logits). */
    public double evaluate(BatchLoader loader) {
        long correct = 0;
        long seen = 0;
        for (BatchLoader.Batch batch : loader.epoch(settings.seed(), 0, false)) {
            if (batch.size() == 0) {
                continue;
            }
            try (NDManager scope = model.getNDManager().newSubManager()) {
                NDArray x = batch.images().toNDArray(scope);
                NDArray logits = evaluationLogits(x);
                NDArray y = scope.create(java.util.Arrays.stream(batch.labels()).asLongStream().toArray());
                if (stages != null) {
                    y = y.repeat(0, settings.topK()); // every stage's prediction counts
                }
                correct += logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false).eq(y).sum().getLong();
                seen += y.size();
            }
        }
        return seen == 0 ? 0 : (double) correct / seen;
    }

    /**
     * Logits to score: the network's on its mode's evaluation inputs (patch mode: five crops, mean logits), or with
     * stage targets the stage outputs on AnchorNet's windows, (N·k)×C.
     */
    private NDArray evaluationLogits(NDArray x) {
        if (stages != null) {
            NDList out = trainer.evaluate(new NDList(trainingInputs(x)));
            return stages.stageLogits(stages.frozen(x, null, false).glanceLogits(), out.get(out.size() - 1))
                    .reshape(x.getShape().get(0) * settings.topK(), -1);
        }
        NDArray inputs = switch (settings.mode()) {
            case RESIZED -> Glance.resize(x, settings.patchSize());
            case PATCH -> PatchCropper.crop(x, PatchCropper.fiveCrops((int) x.getShape().get(0),
                    (int) x.getShape().get(3), settings.patchSize()), 0, 5);
            default -> x;
        };
        NDList out = trainer.evaluate(new NDList(inputs));
        NDArray logits = out.get(out.size() - 1);
        if (settings.mode() == TrainingSettings.Mode.PATCH) {
            long n = x.getShape().get(0);
            logits = logits.reshape(n, 5, -1).mean(new int[] {1});
        }
        return logits;
    }

    private NDArray trainingInputs(NDArray x) {
        return switch (settings.mode()) {
            case RESIZED -> Glance.resize(x, settings.patchSize());
            case PATCH -> {
                Proposals found = localizer.localize(new ParameterStore(x.getManager(), false), x);
                yield PatchCropper.crop(x, found.windows(), 0, settings.topK());
            }
            default -> x;
        };
    }

    @Override
    public void close() {
        if (stages != null) {
            stages.close();
        }
        trainer.close();
        if (anchorManager != null) {
            anchorManager.close();
        }
        model.close();
    }
}
