package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.anchornet.data.ImageBatch;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.RgbImage;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.WindowSource;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;

/**
 * A trained AnchorNet cascade as one object: its {@link CascadeConfig} and its three networks (AnchorNet, the glance
 * network, the patch network), loaded for inference. It classifies images with early exit through its {@link
 * EarlyExitEngine} and can be saved as a package again.
 *
 * <pre>{@code
 * try (Cascade cascade = Cascade.load(Path.of("runs/demo/cascade"))) {
 *     Prediction p = cascade.classify(Path.of("shirt.png"));
 *     System.out.println(cascade.config().classes().get(p.predicted()) + " after stage " + p.exitStage());
 * }
 * }</pre>
 *
 * <p>Not for concurrent use: calls are serialized on the instance. Batch many images into one call instead (the
 * engine then runs each stage on all the images still in).
 */
public final class Cascade implements AutoCloseable {
    private final CascadeConfig config;
    private final NDManager manager;
    private final Localizer localizer;
    private final EarlyExitEngine engine;
    private final ExitPolicy policy;
    private final Map<CascadeNetwork, Path> weightFiles;
    private final CascadePackage source;

    private Cascade(CascadeConfig config, Map<CascadeNetwork, Path> weightFiles, CascadePackage source)
            throws IOException {
        this.config = config;
        this.weightFiles = new EnumMap<>(weightFiles);
        this.source = source;
        this.manager = NDManager.newBaseManager();
        try {
            int classes = config.numClasses();
            AnchorNet anchor = (AnchorNet) load(Architectures.ANCHORNET, classes, CascadeNetwork.ANCHORNET);
            TorchModule glance = load(config.arch(), classes, CascadeNetwork.GLANCE);
            TorchModule patch = load(config.arch(), classes, CascadeNetwork.PATCH);
            this.localizer = Localizer.of(anchor, config.inputSize(), config.iouThresholds());
            this.engine = new EarlyExitEngine(glance, patch, WindowSource.anchorNet(localizer), config.costs());
            this.policy = ExitPolicy.thresholds(config.exitThresholds());
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private TorchModule load(String arch, int classes, CascadeNetwork network) throws IOException {
        Path file = weightFiles.get(network);
        try {
            TorchModule module = Architectures.get(arch).loadForInference(manager, classes, file);
            requireFinite(module, network);
            return module;
        } catch (IllegalArgumentException e) {
            throw new CascadeFormatException(e.getMessage(), e);
        }
    }

    /**
     * A NaN or infinite weight (or batch-norm statistic, folded into them at load) makes every answer meaningless
     * without an error: AnchorNet's windows fall to the corner, logits to NaN. Refused here, naming the network.
     */
    private void requireFinite(TorchModule module, CascadeNetwork network) throws CascadeFormatException {
        for (var pair : module.getParameters()) {
            ai.djl.ndarray.NDArray a = pair.getValue().getArray();
            boolean bad;
            try (NDManager scope = manager.newSubManager()) { // the check's own arrays go with the scope
                a.tempAttach(scope);
                bad = a.getDataType().isFloating() && a.isNaN().logicalOr(a.isInfinite()).any().getBoolean();
            }
            if (bad) {
                throw new CascadeFormatException(weightFiles.get(network) + ": the " + network.key() + " network's "
                        + pair.getKey() + " holds NaN or infinite values (a diverged or damaged checkpoint)");
            }
        }
    }

    /** Loads a package (a folder with {@code cascade.json}, or a {@code .zip} of one), checked file by file. */
    public static Cascade load(Path path) throws IOException {
        CascadePackage pkg = CascadePackage.read(path);
        try {
            return new Cascade(pkg.config(), pkg.weightFiles(), pkg);
        } catch (IOException | RuntimeException e) {
            pkg.close();
            throw e;
        }
    }

    /**
     * A cascade from separate checkpoints (the reference's workflow): the configuration says how to run them; the
     * files may be training checkpoints or state dicts.
     */
    public static Cascade fromCheckpoints(CascadeConfig config, Path anchorNet, Path glance, Path patch)
            throws IOException {
        Map<CascadeNetwork, Path> files = new EnumMap<>(CascadeNetwork.class);
        files.put(CascadeNetwork.ANCHORNET, anchorNet);
        files.put(CascadeNetwork.GLANCE, glance);
        files.put(CascadeNetwork.PATCH, patch);
        return new Cascade(config, files, null);
    }

    /**
     * A cascade of networks with random weights ({@link CascadePackage#writeRandom}'s seeds), for timing operating
     * points where the weights do not change the time (a replayed exit table). Nothing is left on disk after close.
     */
    public static Cascade withRandomWeights(CascadeConfig config) throws IOException {
        Path dir = Files.createTempDirectory("anchornet-random-");
        Path zip = dir.resolve("cascade.zip");
        try {
            CascadePackage.writeRandom(zip, config);
            return load(zip); // a zip is unpacked into a folder the cascade deletes when closed
        } finally {
            Files.deleteIfExists(zip);
            Files.deleteIfExists(dir);
        }
    }

    /** Writes this cascade as a package (a folder, or a zip when the path ends in {@code .zip}). */
    public synchronized void save(Path target) throws IOException {
        if (source != null) {
            source.copyTo(target, config);
        } else {
            CascadePackage.write(target, config, weightFiles);
        }
    }

    public CascadeConfig config() {
        return config;
    }

    /** The class names, indexed by class. */
    public List<String> classes() {
        return config.classes();
    }

    /** The engine that runs this cascade; callers outside this package go through the methods below. */
    EarlyExitEngine engine() {
        return engine;
    }

    /**
     * Every image of a preprocessed N×3×S×S batch through every stage (exit tables, figures, warm-up): each
     * prediction lists every stage's outcome.
     */
    public synchronized List<Prediction> trace(NDArray batch) {
        return engine.run(checked(batch), ExitPolicy.never());
    }

    /** {@link #trace(NDArray)} of a batch of preprocessed images. */
    public synchronized List<Prediction> trace(ImageBatch batch) {
        if (batch.count() == 0) {
            return List.of();
        }
        try (NDManager scope = manager.newSubManager()) {
            return trace(batch.toNDArray(scope));
        }
    }

    /** Images each stage's network has processed so far (stage 1 = the glance). */
    public long[] stageCalls() {
        return engine.calls();
    }

    /** Images AnchorNet has processed so far. */
    public long windowSourceCalls() {
        return engine.windowSourceCalls();
    }

    /** Every image through every stage ({@link EngineBenchmark#everyStage}): what each stage costs in time here. */
    public synchronized StageTimeReport timeEveryStage(List<NDArray> batches, int rounds) {
        engine.useChunks((int) batches.get(0).getShape().get(0));
        return EngineBenchmark.everyStage(engine, batches, rounds);
    }

    /** Where the engine's time has gone so far, stage by stage (the server's metrics read it). */
    public StageTimes stageTimes() {
        return engine.stageTimes();
    }

    /** Runs the networks on slices of at most this many images (bounded memory for large batches). */
    public synchronized void useChunks(int images) {
        engine.useChunks(images);
    }

    /**
     * Images set off through the stages one step at a time (the server answers each request as soon as its image
     * leaves and merges survivors of several requests): see {@link EarlyExitEngine#begin}.
     */
    public synchronized <T> Flight<T> begin(NDArray images, List<T> tags) {
        return engine.begin(checked(images), tags);
    }

    /** Flights at the same stage as one; see {@link EarlyExitEngine#merge}. */
    public synchronized <T> Flight<T> merge(List<Flight<T>> parts) {
        return engine.merge(parts);
    }

    /** One stage of a flight under this cascade's thresholds; see {@link EarlyExitEngine#step}. */
    public synchronized <T> EarlyExitEngine.Step<T> step(Flight<T> flight) {
        return engine.step(flight, policy);
    }

    /**
     * The next stage of several flights under this cascade's thresholds, the patch network run once for all of those
     * past the glance; see {@link EarlyExitEngine#stepTogether}.
     */
    public synchronized <T> List<EarlyExitEngine.Step<T>> stepTogether(List<Flight<T>> flights) {
        return engine.stepTogether(flights, policy);
    }

    /**
     * {@link #stepTogether}, each image in the pass also getting its next {@code runAhead − 1} windows (lower latency
     * for a lone request, extra work for images that leave earlier); see {@link EarlyExitEngine#stepTogether(List,
     * ExitPolicy, int)}.
     */
    public synchronized <T> List<EarlyExitEngine.Step<T>> stepTogether(List<Flight<T>> flights, int runAhead) {
        return engine.stepTogether(flights, policy, runAhead);
    }

    /** Images the patch network runs on when these flights step together with this run-ahead. */
    public synchronized int patchImages(List<? extends Flight<?>> flights, int runAhead) {
        return engine.patchImages(flights, runAhead);
    }

    /**
     * The exit table of a data set: every image through every stage. With {@code windows} (ablations at equal cost)
     * the patches come from that source instead of AnchorNet.
     */
    public synchronized org.anchornet.exits.ExitTable exitTable(org.anchornet.data.BatchLoader loader,
            org.anchornet.exits.ExitTable.Metadata metadata, java.util.function.IntConsumer progress,
            org.anchornet.localize.WindowSource windows) {
        EarlyExitEngine e = windows == null ? engine : engine.withWindows(windows);
        return new ExitTableMaker(e).make(loader, metadata, progress);
    }

    /** Times this cascade against a full-resolution network on the same batches ({@link EngineBenchmark}). */
    public synchronized EngineBenchmark.Result benchmark(TorchModule baseline, List<NDArray> batches,
            long baselineMultiplyAdds, int rounds) {
        return EngineBenchmark.run(engine, baseline, batches, policy, baselineMultiplyAdds, rounds);
    }

    /**
     * {@link #benchmark} with every image leaving at a given stage (1-based, image i of the batches in order) instead
     * of where the thresholds send it: an operating point replayed from an exit table.
     */
    public synchronized EngineBenchmark.Result benchmarkReplaying(int[] exitStages, TorchModule baseline,
            List<NDArray> batches, long baselineMultiplyAdds, int rounds) {
        return EngineBenchmark.run(engine, baseline, batches, ExitPolicy.exitStages(exitStages),
                baselineMultiplyAdds, rounds);
    }

    private NDArray checked(NDArray batch) {
        Shape s = batch.getShape();
        if (s.dimension() != 4 || s.get(1) != 3 || s.get(2) != config.inputSize() || s.get(3) != config.inputSize()) {
            throw new IllegalArgumentException("this cascade takes N×3×" + config.inputSize() + "×"
                    + config.inputSize() + " batches, got " + s);
        }
        return batch;
    }

    /** AnchorNet with this cascade's window rules. */
    public Localizer localizer() {
        return localizer;
    }

    /** The image as the networks see it: evaluation resize and crop, then normalized C×H×W floats. */
    public float[] preprocess(RgbImage image) {
        return config.preprocess(image);
    }

    /** Classifies an N×3×S×S batch that is already preprocessed, with the configured thresholds. */
    public synchronized List<Prediction> classify(NDArray batch) {
        return engine.run(checked(batch), policy);
    }

    /** Classifies decoded images together (one batch through the engine). */
    public List<Prediction> classify(List<RgbImage> images) {
        return classify(pack(images));
    }

    /** Preprocesses decoded images as the cascade was trained and packs them into one batch. */
    public ImageBatch pack(List<RgbImage> images) {
        return ImageBatch.pack(images.stream().map(this::preprocess).toList(), config.inputSize());
    }

    /** Classifies a batch of {@link #preprocess preprocessed} images with the configured thresholds. */
    public synchronized List<Prediction> classify(ImageBatch batch) {
        if (batch.count() == 0) {
            return List.of();
        }
        try (NDManager scope = manager.newSubManager()) {
            return classify(batch.toNDArray(scope));
        }
    }

    public Prediction classify(RgbImage image) {
        return classify(List.of(image)).get(0);
    }

    public Prediction classify(BufferedImage image) {
        return classify(RgbImage.of(image));
    }

    /** Decodes an image file as PIL does ({@code convert('RGB')}) and classifies it. */
    public Prediction classify(Path imageFile) throws IOException {
        return classify(ImageDecoder.decode(imageFile));
    }

    @Override
    public void close() throws IOException {
        manager.close();
        if (source != null) {
            source.close();
        }
    }
}
