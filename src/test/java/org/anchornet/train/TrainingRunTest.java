package org.anchornet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageDecoder;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrainingRunTest {
    @TempDir Path tmp;

    private static final ClutteredFashionMnist.Config SMALL = new ClutteredFashionMnist.Config(112, 3, 2, 12, 4, 5);

    static ImageDataset canvases(ClutteredFashionMnist.Split split, int n) throws Exception {
        return new ClutteredFashionMnist(FashionMnist.read(Path.of("src/test/resources/fashion-mnist-sample")), split, n,
                SMALL);
    }

    private TrainingSettings.Builder tiny(TrainingSettings.Mode mode, Path dir) {
        TrainingSettings.Builder b = mode == TrainingSettings.Mode.ANCHORNET ? TrainingSettings.anchorNetDefaults()
                : TrainingSettings.downstreamDefaults(mode).arch("resnet18");
        return b.numClasses(10).inputSize(112).evalResize(112).batchSize(8).workers(1).progress(false)
                .augment(TrainingSettings.Augment.NONE).checkpointDir(dir).lr(0.05).schedule(TrainingSettings.Schedule.MULTISTEP)
                .milestones(List.of(100)).topK(2).seed(1);
    }

    private static String run(TrainingSettings settings, ImageDataset train, ImageDataset val, List<Double> losses)
            throws Exception {
        StringWriter log = new StringWriter();
        try (TrainingRun run = new TrainingRun(settings, new PrintWriter(log, true))) {
            TrainingRun.Result result = run.fit(train, val);
            result.epochs().forEach(e -> losses.add(e.trainLoss()));
        }
        return log.toString();
    }

    @ParameterizedTest
    @EnumSource(TrainingSettings.Mode.class)
    void everyModeLearnsOnTinyData(TrainingSettings.Mode mode) throws Exception {
        ImageDataset train = canvases(ClutteredFashionMnist.Split.TRAIN, 8);
        ImageDataset val = canvases(ClutteredFashionMnist.Split.VAL, 8);
        TrainingSettings.Builder settings = tiny(mode, tmp.resolve(mode.name())).epochs(6);
        if (mode == TrainingSettings.Mode.PATCH) {
            List<Double> ignored = new java.util.ArrayList<>();
            run(tiny(TrainingSettings.Mode.ANCHORNET, tmp.resolve("anchor")).epochs(1).build(), train, val, ignored);
            settings.anchorNet(tmp.resolve("anchor").resolve("best.pth"));
        }
        List<Double> losses = new java.util.ArrayList<>();
        String log = run(settings.build(), train, val, losses);
        assertEquals(6, losses.size(), log);
        assertTrue(losses.get(5) < losses.get(0), mode + " loss did not go down: " + losses);
        assertTrue(log.contains("epoch 6/6"), log);
        String csv = Files.readString(tmp.resolve(mode.name()).resolve("train_log.csv"));
        assertEquals(7, csv.lines().count(), csv);
        // The checkpoint is a torch-readable dict with torch's keys and the run's configuration.
        Map<String, Object> ckpt = TorchReader.readDict(tmp.resolve(mode.name()).resolve("checkpoint.pth"));
        assertEquals(6L, ckpt.get("epoch"));
        assertTrue(((Map<?, ?>) ckpt.get("config")).get("mode").equals(mode.name().toLowerCase()));
        assertTrue(StateDicts.unwrap(ckpt).containsKey(mode == TrainingSettings.Mode.ANCHORNET ? "exp_conv.weight"
                : "layer1.0.conv1.weight"));
    }

    @Test
    void interruptedRunResumesToTheSameWeights() throws Exception {
        ImageDataset val = canvases(ClutteredFashionMnist.Split.VAL, 4);
        TrainingSettings.Builder base = tiny(TrainingSettings.Mode.RESIZED, tmp.resolve("straight")).epochs(2)
                .batchSize(4).schedule(TrainingSettings.Schedule.COSINE);
        run(base.build(), canvases(ClutteredFashionMnist.Split.TRAIN, 8), val, new java.util.ArrayList<>());

        Path dir = tmp.resolve("interrupted");
        ImageDataset dying = new DiesAfter(canvases(ClutteredFashionMnist.Split.TRAIN, 8), 8 + 3);
        assertThrows(RuntimeException.class,
                () -> run(base.checkpointDir(dir).build(), dying, val, new java.util.ArrayList<>()));
        assertEquals(1L, TorchReader.readDict(dir.resolve("checkpoint.pth")).get("epoch"), "epoch 1 was saved");
        String log = run(base.checkpointDir(dir).resume(true).build(), canvases(ClutteredFashionMnist.Split.TRAIN, 8),
                val, new java.util.ArrayList<>());
        assertTrue(log.contains("resumed from"), log);

        Map<String, TorchTensor> a = StateDicts.load(tmp.resolve("straight").resolve("checkpoint.pth"));
        Map<String, TorchTensor> b = StateDicts.load(dir.resolve("checkpoint.pth"));
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        for (String key : a.keySet()) {
            double[] x = a.get(key).toDoubleArray();
            double[] y = b.get(key).toDoubleArray();
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
            }
        }
        assertTrue(worst <= 1e-6, "resumed weights differ by " + worst);
        assertEquals(3, Files.readString(dir.resolve("train_log.csv")).lines().count());
    }

    /** Throws (like a killed process) once more than {@code limit} images were loaded. */
    private record DiesAfter(ImageDataset inner, int limit, AtomicInteger loads) implements ImageDataset {
        DiesAfter(ImageDataset inner, int limit) {
            this(inner, limit, new AtomicInteger());
        }

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public List<String> classNames() {
            return inner.classNames();
        }

        @Override
        public int label(int index) {
            return inner.label(index);
        }

        @Override
        public String id(int index) {
            return inner.id(index);
        }

        @Override
        public Sample load(int index) throws ImageDecoder.BadImageException {
            if (loads.incrementAndGet() > limit) {
                throw new IllegalStateException("killed");
            }
            return inner.load(index);
        }
    }
}
