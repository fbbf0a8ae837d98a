package org.anchornet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.anchornet.testing.Folders;
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

    static TrainingSettings.Builder tiny(TrainingSettings.Mode mode, Path dir) {
        TrainingSettings.Builder b = mode == TrainingSettings.Mode.ANCHORNET ? TrainingSettings.anchorNetDefaults()
                : TrainingSettings.downstreamDefaults(mode).arch("resnet18");
        return b.numClasses(10).inputSize(112).evalResize(112).batchSize(8).workers(1).progress(false)
                .augment(TrainingSettings.Augment.NONE).checkpointDir(dir).lr(0.05).schedule(TrainingSettings.Schedule.MULTISTEP)
                .milestones(List.of(100)).topK(2).seed(1);
    }

    static String run(TrainingSettings settings, ImageDataset train, ImageDataset val, List<Double> losses)
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
    record DiesAfter(ImageDataset inner, int limit, AtomicInteger loads) implements ImageDataset {
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

    /** The log's rows without the timing columns, which differ from run to run. */
    private static List<String> results(Path dir) throws java.io.IOException {
        return Files.readAllLines(dir.resolve("train_log.csv")).stream()
                .map(l -> String.join(",", java.util.Arrays.asList(l.split(",")).subList(0, 5))).toList();
    }

    static double[] weights(Map<String, TorchTensor> state) {
        return state.values().stream().flatMapToDouble(t -> java.util.Arrays.stream(t.toDoubleArray())).toArray();
    }

    @Test
    void aRunKilledAtAnyMomentResumesToConsistentFilesAndTheSameResult() throws Exception {
        ImageDataset train = canvases(ClutteredFashionMnist.Split.TRAIN, 4);
        ImageDataset val = canvases(ClutteredFashionMnist.Split.VAL, 4);
        TrainingSettings.Builder base = tiny(TrainingSettings.Mode.RESIZED, tmp.resolve("straight")).epochs(2)
                .batchSize(4).schedule(TrainingSettings.Schedule.COSINE);
        // The straight run, with the folder copied at every step of every atomic write: each copy is what a kill at
        // that instant leaves (the temporary file written but not yet renamed, or renamed but the next file not).
        List<Path> moments = new java.util.ArrayList<>();
        Path straight = tmp.resolve("straight");
        org.anchornet.io.AtomicFiles.Observer previous = org.anchornet.io.AtomicFiles.observe((step, target) -> {
            // every instant of the first epoch's writes: checkpoint, best.pth, log, each half and fully done
            if (target.startsWith(straight.toAbsolutePath()) && moments.size() < 6) {
                Path copy = tmp.resolve("moment-" + moments.size());
                Folders.copyTree(straight, copy);
                moments.add(copy);
            }
        });
        try {
            run(base.build(), train, val, new java.util.ArrayList<>());
        } finally {
            org.anchornet.io.AtomicFiles.observe(previous);
        }
        assertEquals(6, moments.size(), moments.size() + " moments");
        assertTrue(moments.stream().anyMatch(m -> { try (var l = Files.list(m)) {
            return l.anyMatch(org.anchornet.io.AtomicFiles::isTemporary);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } }), "some moments hold a half-done write");
        List<String> straightLog = results(straight);
        double[] straightWeights = weights(StateDicts.load(straight.resolve("checkpoint.pth")));
        for (Path moment : moments) {
            String log = run(base.checkpointDir(moment).resume(true).build(), train, val, new java.util.ArrayList<>());
            try (var files = Files.list(moment)) {
                assertTrue(files.noneMatch(org.anchornet.io.AtomicFiles::isTemporary), moment + ": temporaries left");
            }
            Map<String, Object> ckpt = TorchReader.readDict(moment.resolve("checkpoint.pth"));
            Map<String, Object> best = TorchReader.readDict(moment.resolve("best.pth"));
            assertEquals(ckpt.get("best_epoch"), best.get("epoch"), moment + ": best.pth is the epoch the checkpoint"
                    + " calls best\n" + log);
            assertArrayEquals(weights(StateDicts.unwrap(ckpt.get("best_state_dict"))),
                    weights(StateDicts.unwrap(best)), 0, moment + ": best.pth holds the best weights");
            assertEquals(straightLog, results(moment), moment + ": the log is complete and the same");
            assertArrayEquals(straightWeights, weights(StateDicts.load(moment.resolve("checkpoint.pth"))), 1e-6,
                    moment + ": the same final weights");
        }
    }

    @Test
    void aDivergingRunStopsNamingTheEpochAndStepAndSavesNothingOfIt() throws Exception {
        ImageDataset train = canvases(ClutteredFashionMnist.Split.TRAIN, 8);
        ImageDataset val = canvases(ClutteredFashionMnist.Split.VAL, 4);
        Path dir = tmp.resolve("diverging");
        TrainingSettings settings = tiny(TrainingSettings.Mode.RESIZED, dir).epochs(3).batchSize(4).lr(1e12).build();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> run(settings, train, val, new java.util.ArrayList<>()));
        assertTrue(e.getMessage().matches("training diverged in epoch \\d+(, step \\d+)?: .*"), e.getMessage());
        if (Files.exists(dir.resolve("best.pth"))) {
            for (double w : weights(StateDicts.load(dir.resolve("best.pth")))) {
                assertTrue(Double.isFinite(w), "best.pth holds only finite weights");
            }
        }
    }

    @Test
    void asecondRunOnTheSameFolderIsRefusedNamingTheHolder() throws Exception {
        Path dir = tmp.resolve("locked");
        Files.createDirectories(dir);
        try (org.anchornet.io.FolderLock held = org.anchornet.io.FolderLock.acquire(dir, "the first run")) {
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> run(tiny(
                    TrainingSettings.Mode.RESIZED, dir).epochs(1).build(), canvases(ClutteredFashionMnist.Split.TRAIN,
                    8), canvases(ClutteredFashionMnist.Split.VAL, 4), new java.util.ArrayList<>()));
            assertTrue(e.getMessage().contains("in use by another run") && e.getMessage().contains("the first run")
                    && e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
        }
        assertTrue(Files.notExists(dir.resolve("checkpoint.pth")), "the refused run wrote nothing");
    }

    @Test
    void unclearSituationsGetClearMessages() throws Exception {
        ImageDataset train = canvases(ClutteredFashionMnist.Split.TRAIN, 8);
        ImageDataset val = canvases(ClutteredFashionMnist.Split.VAL, 4);
        String log = run(tiny(TrainingSettings.Mode.RESIZED, tmp.resolve("fresh")).epochs(1).resume(true).build(),
                train, val, new java.util.ArrayList<>());
        assertTrue(log.contains("nothing to resume"), log);
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> new TrainingRun(
                tiny(TrainingSettings.Mode.ANCHORNET, tmp.resolve("small")).inputSize(64).build(),
                new PrintWriter(new StringWriter())));
        assertTrue(small.getMessage().contains("smaller than the 95 px window"), small.getMessage());
        ImageDataset otherClasses = new ImageDataset() {
            public int size() { return val.size(); }
            public List<String> classNames() { return List.of("cat", "dog"); }
            public int label(int i) { return 0; }
            public String id(int i) { return val.id(i); }
            public Sample load(int i) throws ImageDecoder.BadImageException { return val.load(i); }
        };
        IllegalArgumentException classes = assertThrows(IllegalArgumentException.class, () -> run(tiny(
                TrainingSettings.Mode.RESIZED, tmp.resolve("classes")).epochs(1).build(), train, otherClasses,
                new java.util.ArrayList<>()));
        assertTrue(classes.getMessage().contains("validation classes"), classes.getMessage());
        Path file = Files.writeString(tmp.resolve("a-file"), "not a folder");
        java.io.IOException notDir = assertThrows(java.io.IOException.class, () -> run(tiny(
                TrainingSettings.Mode.RESIZED, file).epochs(1).build(), train, val, new java.util.ArrayList<>()));
        assertTrue(notDir.getMessage().contains("is a file"), notDir.getMessage());
    }
}
