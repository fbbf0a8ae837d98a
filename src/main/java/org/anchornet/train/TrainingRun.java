package org.anchornet.train;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import me.tongfei.progressbar.ProgressBar;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;
import org.anchornet.localize.Glance;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchCropper;
import org.anchornet.localize.PatchProposer;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.ReceptiveField.Window;
import org.anchornet.model.StateDictMapper;
import org.anchornet.model.TorchModule;
import org.anchornet.torchio.AtomicFiles;
import org.anchornet.torchio.StateDicts;

/**
 * One training run of AnchorNet or a downstream network, in small pieces: {@link #trainEpoch}, {@link #evaluate} and
 * {@link #fit}, which checkpoints every epoch (atomically; {@code checkpoint.pth} and the best by validation top-1 in
 * {@code best.pth}), writes a log line and a CSV row per epoch, and resumes from the last finished epoch with the same
 * learning-rate schedule.
 */
public final class TrainingRun implements AutoCloseable {
    /** Figures of one epoch. */
    public record EpochResult(int epoch, double lr, double trainLoss, double trainTop1, double valTop1,
            double imagesPerSecond, double dataWaitSeconds, double seconds) {}

    /** What a run produced. */
    public record Result(List<EpochResult> epochs, double bestTop1, Path best, Path last, int skippedFiles) {}

    private static final String CSV_HEADER = "epoch,lr,train_loss,train_top1,val_top1,images_per_s,data_wait_s,seconds";

    private final TrainingSettings settings;
    private final PrintWriter log;
    private final Model model;
    private final TorchModule network;
    private final TorchSgd optimizer;
    private final Trainer trainer;
    private final NDManager anchorManager;
    private final Localizer localizer;

    public TrainingRun(TrainingSettings settings, PrintWriter log) throws IOException {
        this.settings = settings;
        this.log = log;
        this.model = Model.newInstance(settings.arch());
        try {
            network = Architectures.get(settings.arch()).create(model.getNDManager(), settings.numClasses(),
                    settings.seed());
            model.setBlock(network);
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
                AnchorNet anchor = (AnchorNet) Architectures.get("anchornet").loadForInference(anchorManager,
                        settings.numClasses(), settings.anchorNet().get());
                List<Double> ious = Collections.nCopies(settings.topK() - 1, settings.iou());
                localizer = new Localizer(anchor, new PatchProposer(anchor.receptiveField(), settings.inputSize(),
                        settings.topK(), ious));
            } else {
                anchorManager = null;
                localizer = null;
            }
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public TorchModule network() {
        return network;
    }

    private void loadPretrained(Path file) throws IOException {
        var state = StateDicts.load(file);
        var params = StateDictMapper.parameters(network);
        // Fine-tuning to another number of classes: the classifier is replaced, everything else must fit.
        StateDictMapper.load(network, state, key -> {
            var p = params.get(key);
            var t = state.get(key);
            return (key.startsWith("fc.") || key.startsWith("classifier.")) && p != null && t != null
                    && !java.util.Arrays.equals(t.shape(), p.getArray().getShape().getShape());
        });
        log.println("loaded " + file);
    }

    /** Trains all remaining epochs; with {@code resume}, continues after the last finished one. */
    public Result fit(ImageDataset train, ImageDataset val) throws IOException {
        Path dir = settings.checkpointDir();
        Files.createDirectories(dir);
        Path last = dir.resolve("checkpoint.pth");
        Path best = dir.resolve("best.pth");
        Path csv = dir.resolve("train_log.csv");
        int start = 0;
        double bestTop1 = -1;
        long steps = 0;
        List<String> csvRows = new ArrayList<>();
        if (settings.resume() && Files.exists(last)) {
            Checkpoint restored = Checkpoint.restore(last, network, optimizer, model.getNDManager());
            start = restored.epochsDone();
            bestTop1 = restored.bestAccuracy();
            steps = restored.steps();
            if (Files.exists(csv)) {
                Files.readAllLines(csv).stream().skip(1).limit(start).forEach(csvRows::add);
            }
            log.printf(Locale.ROOT, "resumed from %s after epoch %d (best top-1 %.2f%%)%n", last, start, 100 * bestTop1);
        }
        List<EpochResult> results = new ArrayList<>();
        int skipped = 0;
        try (BatchLoader trainLoader = new BatchLoader(train, this::trainTransform,
                        new BatchLoader.Options(settings.batchSize(), settings.workers(), 4, settings.strict(), true),
                        w -> log.println("warning: " + w));
                BatchLoader valLoader = new BatchLoader(val, this::evalTransform,
                        new BatchLoader.Options(settings.batchSize(), settings.workers(), 4, settings.strict(), false),
                        w -> log.println("warning: " + w))) {
            for (int epoch = start; epoch < settings.epochs(); epoch++) {
                long t0 = System.nanoTime();
                double lr = settings.lrSchedule().rate(epoch);
                optimizer.setLearningRate((float) lr);
                double waitBefore = trainLoader.waitSeconds();
                double[] trainFigures = trainEpoch(trainLoader, epoch);
                steps += (long) trainFigures[3];
                recalibrateBatchNorm(trainLoader, epoch);
                double valTop1 = evaluate(valLoader);
                double seconds = (System.nanoTime() - t0) / 1e9;
                EpochResult r = new EpochResult(epoch + 1, lr, trainFigures[0], trainFigures[1], valTop1,
                        trainFigures[2], trainLoader.waitSeconds() - waitBefore, seconds);
                results.add(r);
                boolean improved = valTop1 > bestTop1;
                bestTop1 = Math.max(bestTop1, valTop1);
                Checkpoint meta = new Checkpoint(epoch + 1, bestTop1, steps, settings.arch(), settings.seed(),
                        settings.asMap());
                Checkpoint.save(last, network, optimizer, meta);
                if (improved) {
                    Checkpoint.save(best, network, optimizer, meta);
                }
                log.printf(Locale.ROOT, "epoch %d/%d  lr %.5f  loss %.4f  train top-1 %.2f%%  val top-1 %.2f%%  %.1f img/s"
                        + "  data wait %.1fs  %.0fs%s%n", r.epoch(), settings.epochs(), lr, r.trainLoss(),
                        100 * r.trainTop1(), 100 * r.valTop1(), r.imagesPerSecond(), r.dataWaitSeconds(), seconds,
                        improved ? "  (best)" : "");
                log.flush();
                csvRows.add(String.format(Locale.ROOT, "%d,%.6g,%.6f,%.6f,%.6f,%.2f,%.3f,%.2f", r.epoch(), lr,
                        r.trainLoss(), r.trainTop1(), r.valTop1(), r.imagesPerSecond(), r.dataWaitSeconds(), seconds));
                AtomicFiles.writeString(csv, CSV_HEADER + "\n" + String.join("\n", csvRows) + "\n");
            }
            skipped = trainLoader.skipped() + valLoader.skipped();
        }
        if (!Files.exists(best) && Files.exists(last)) {
            Files.copy(last, best);
        }
        return new Result(results, bestTop1, best, last, skipped);
    }

    /** One pass over the training data; returns {loss, top-1, images/s, steps}. */
    double[] trainEpoch(BatchLoader loader, int epoch) {
        int total = settings.maxBatchesPerEpoch() > 0 ? Math.min(settings.maxBatchesPerEpoch(), loader.batchesPerEpoch())
                : loader.batchesPerEpoch();
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        int batches = 0;
        long t0 = System.nanoTime();
        try (ProgressBar bar = progressBar("epoch " + (epoch + 1) + "/" + settings.epochs(), total)) {
            for (BatchLoader.Batch batch : loader.epoch(settings.seed(), epoch, true)) {
                if (batches == total) {
                    break;
                }
                if (batch.size() == 0) {
                    continue;
                }
                try (NDManager scope = model.getNDManager().newSubManager()) {
                    NDArray x = images(scope, batch);
                    NDArray y = scope.create(java.util.Arrays.stream(batch.labels()).asLongStream().toArray());
                    NDArray inputs = trainingInputs(x);
                    if (settings.mode() == TrainingSettings.Mode.PATCH) {
                        y = y.repeat(0, settings.topK());
                    }
                    try (GradientCollector collector = trainer.newGradientCollector()) {
                        NDList out = trainer.forward(new NDList(inputs));
                        NDArray logits = out.get(out.size() - 1);
                        NDArray loss = trainer.getLoss().evaluate(new NDList(y), new NDList(logits));
                        collector.backward(loss);
                        lossSum += loss.getFloat() * y.size();
                        correct += logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false).eq(y).sum()
                                .getLong();
                        seen += y.size();
                    }
                    trainer.step();
                }
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
        return new double[] {seen == 0 ? Double.NaN : lossSum / seen, seen == 0 ? 0 : (double) correct / seen,
            seen / seconds, batches};
    }

    /**
     * Recomputes batch-norm running statistics at the current weights: forward passes in training mode over training
     * batches, with no gradients and no updates. After 50 passes the momentum-0.1 averages keep 0.5% of their old
     * value.
     */
    void recalibrateBatchNorm(BatchLoader loader, int epoch) {
        int left = settings.bnRecalibrationBatches();
        if (left == 0) {
            return;
        }
        ParameterStore store = new ParameterStore(model.getNDManager(), false);
        for (BatchLoader.Batch batch : loader.epoch(settings.seed() + 7919, epoch, true)) {
            if (left-- == 0) {
                break;
            }
            try (NDManager scope = model.getNDManager().newSubManager()) {
                NDArray inputs = trainingInputs(images(scope, batch));
                inputs.tempAttach(scope);
                network.forward(store, new NDList(inputs), true);
            }
        }
    }

    /** Top-1 accuracy on a data set with the evaluation preprocessing. */
    public double evaluate(ImageDataset val) {
        try (BatchLoader loader = new BatchLoader(val, this::evalTransform,
                new BatchLoader.Options(settings.batchSize(), settings.workers(), 4, settings.strict(), false),
                w -> log.println("warning: " + w))) {
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
                NDArray x = images(scope, batch);
                NDArray logits = evaluationLogits(x);
                NDArray y = scope.create(java.util.Arrays.stream(batch.labels()).asLongStream().toArray());
                correct += logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false).eq(y).sum().getLong();
                seen += batch.size();
            }
        }
        return seen == 0 ? 0 : (double) correct / seen;
    }

    private NDArray evaluationLogits(NDArray x) {
        NDArray inputs = switch (settings.mode()) {
            case RESIZED -> Glance.resize(x, settings.patchSize());
            case PATCH -> PatchCropper.crop(x, fiveCropWindows((int) x.getShape().get(0), (int) x.getShape().get(3)),
                    0, 5);
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

    private List<List<Window>> fiveCropWindows(int n, int side) {
        int p = settings.patchSize();
        int c = (int) Math.rint((side - p) / 2.0);
        List<Window> five = List.of(new Window(0, 0, p), new Window(0, side - p, p), new Window(side - p, 0, p),
                new Window(side - p, side - p, p), new Window(c, c, p));
        return Collections.nCopies(n, five);
    }

    private NDArray trainingInputs(NDArray x) {
        return switch (settings.mode()) {
            case RESIZED -> Glance.resize(x, settings.patchSize());
            case PATCH -> {
                Localizer.Result found = localizer.localize(new ParameterStore(x.getManager(), false), x);
                yield PatchCropper.crop(x, found.windows(), 0, settings.topK());
            }
            default -> x;
        };
    }

    private NDArray images(NDManager scope, BatchLoader.Batch batch) {
        int side = (int) Math.round(Math.sqrt(batch.valuesPerImage() / 3.0));
        return scope.create(batch.data(), new Shape(batch.size(), 3, side, side));
    }

    private float[] trainTransform(RgbImage image, Random random) {
        RgbImage out = switch (settings.augment()) {
            case RRC -> Transforms.randomHorizontalFlip(
                    Transforms.randomResizedCrop(image, settings.inputSize(), random), random);
            case FLIP -> Transforms.randomHorizontalFlip(fit(image), random);
            case NONE -> fit(image);
        };
        return Transforms.toNormalizedChw(out);
    }

    private float[] evalTransform(RgbImage image, Random random) {
        return Transforms.evaluation(image, Math.max(settings.evalResize(), settings.inputSize()), settings.inputSize());
    }

    private RgbImage fit(RgbImage image) {
        if (image.width() == settings.inputSize() && image.height() == settings.inputSize()) {
            return image;
        }
        return Transforms.resizeAndCenterCrop(image, settings.inputSize(), settings.inputSize());
    }

    private ProgressBar progressBar(String task, int total) {
        return org.anchornet.report.Progress.bar(task, total, settings.progress());
    }

    @Override
    public void close() {
        trainer.close();
        if (anchorManager != null) {
            anchorManager.close();
        }
        model.close();
    }
}
