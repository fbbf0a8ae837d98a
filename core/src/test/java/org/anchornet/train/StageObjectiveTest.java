package org.anchornet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.ImageBatch;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.Transforms;
import org.anchornet.localize.Glance;
import org.anchornet.model.Architectures;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageObjectiveTest {
    @TempDir Path tmp;
    /** Tiny one-epoch networks the stage runs freeze or start from, trained once for the class. */
    @TempDir static Path networks;
    private static ImageDataset train;
    private static ImageDataset val;

    @BeforeAll
    static void trainTinyNetworks() throws Exception {
        train = TrainingRunTest.canvases(ClutteredFashionMnist.Split.TRAIN, 8);
        val = TrainingRunTest.canvases(ClutteredFashionMnist.Split.VAL, 8);
        oneEpoch(TrainingRunTest.tiny(TrainingSettings.Mode.ANCHORNET, networks.resolve("anchor")), train);
        oneEpoch(TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED, networks.resolve("glance")), train);
        oneEpoch(TrainingRunTest.tiny(TrainingSettings.Mode.FULL, networks.resolve("full")), train);
        for (int fold = 0; fold < 2; fold++) {
            oneEpoch(TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED, networks.resolve("fold-" + fold)),
                    train.select(TrainingSettings.StageTargets.outOfFold(8, fold, 2)));
        }
        oneEpoch(TrainingRunTest.tiny(TrainingSettings.Mode.PATCH, networks.resolve("patch")).anchorNet(
                network("anchor")), train);
    }

    private static void oneEpoch(TrainingSettings.Builder settings, ImageDataset images) throws Exception {
        TrainingRunTest.run(settings.epochs(1).build(), images, val, new ArrayList<>());
    }

    /** The best weights of one of the tiny networks. */
    private static Path network(String name) {
        return networks.resolve(name).resolve("best.pth");
    }

    @Test
    void stageJSumsTheGlanceAndTheFirstJWindowsOfItsOwnImage() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 2 images, 3 windows each, 2 classes; patch rows are image-major
            NDArray glance = m.create(new float[] {1, 0, 0, 10}, new Shape(2, 2));
            NDArray patches = m.create(new float[] {1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}, new Shape(6, 2));
            NDArray z = StageObjective.stageLogits(glance, patches, 3);
            assertEquals(new Shape(2, 3, 2), z.getShape());
            assertArrayEquals(new float[] {2, 2, 5, 6, 10, 12, 10, 30, 40, 70, 90, 130}, z.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void theLossIsCrossEntropyPerStageAndTheSoftTermVanishesWhenStagesMatchTheTeacher() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray z = m.create(new float[] {2, 0, 0, 1}, new Shape(1, 2, 2)); // one image, two stages
            NDArray label = m.create(new long[] {0});
            double ce0 = -Math.log(Math.exp(2) / (Math.exp(2) + 1));
            double ce1 = -Math.log(1 / (1 + Math.E));
            assertEquals((ce0 + ce1) / 2, StageObjective.loss(z, label, null, 0, 1).getFloat(), 1e-5);
            // the teacher agrees with both stages: only the label term is left, weighted by 1 − distillation
            NDArray same = m.create(new float[] {1, 1}, new Shape(1, 2));
            NDArray flat = m.create(new float[] {1, 1, 1, 1}, new Shape(1, 2, 2));
            assertEquals(0.5 * Math.log(2), StageObjective.loss(flat, label, same, 0.5, 4).getFloat(), 1e-5);
            // a teacher that disagrees adds to the loss
            NDArray other = m.create(new float[] {0, 5}, new Shape(1, 2));
            assertTrue(StageObjective.loss(flat, label, other, 0.5, 4).getFloat() > 0.5 * Math.log(2) + 0.1);
        }
    }

    @Test
    void aPatchNetworkTrainsOnTheStagesAndValidatesOnThem() throws Exception {
        // the frozen glance adds its logits to every stage, so the patch network starts at a lower rate than alone
        TrainingSettings settings = TrainingRunTest.tiny(TrainingSettings.Mode.PATCH, tmp.resolve("patch")).epochs(5)
                .lr(0.01).anchorNet(network("anchor")).stageTargets(new TrainingSettings.StageTargets(
                        network("glance"), network("full"), 0.5, 1)).build();
        List<Double> losses = new ArrayList<>();
        String log = TrainingRunTest.run(settings, train, val, losses);
        assertEquals(5, losses.size(), log);
        assertTrue(losses.get(4) < losses.get(0), "the stage loss did not go down: " + losses);
        Map<?, ?> config = (Map<?, ?>) TorchReader.readDict(tmp.resolve("patch/checkpoint.pth")).get("config");
        assertEquals("stages", config.get("patch_objective"), "the checkpoint says how it was trained");
        assertEquals(0.5, ((Number) config.get("distillation")).doubleValue());
    }

    @Test
    void outOfFoldPicksEveryImagesRowFromTheNetworkOfItsFold() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray fold0 = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(3, 2));
            NDArray fold1 = m.create(new float[] {-1, -2, -3, -4, -5, -6}, new Shape(3, 2));
            // training indices 4, 7, 10: folds 0, 1, 0 of two
            NDArray picked = StageObjective.outOfFold(List.of(fold0, fold1), new int[] {4, 7, 10});
            assertArrayEquals(new float[] {1, 2, -3, -4, 5, 6}, picked.toFloatArray(), 0);
        }
    }

    @Test
    void foldsSplitTheTrainingImagesAndEachFoldNetworkLeavesItsOwnOut() {
        int[] without0 = TrainingSettings.StageTargets.outOfFold(7, 0, 2);
        int[] without1 = TrainingSettings.StageTargets.outOfFold(7, 1, 2);
        assertArrayEquals(new int[] {1, 3, 5}, without0);
        assertArrayEquals(new int[] {0, 2, 4, 6}, without1);
        for (int i : without0) {
            assertTrue(TrainingSettings.StageTargets.foldOf(i, 2) != 0);
        }
        assertThrows(IllegalArgumentException.class, () -> TrainingSettings.StageTargets.outOfFold(7, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.StageTargets(Path.of("g"),
                Path.of("t"), 0.5, 2, List.of(Path.of("only-one"))));
    }

    /**
     * Cross-fitting: in training steps an image's glance logits are those of the fold network that did not see it;
     * validation (no training indices) uses the deployed glance; the checkpoint records the folds.
     */
    @Test
    void crossFittedStagesTakeTheGlanceOfTheFoldThatDidNotSeeTheImage() throws Exception {
        List<Path> glances = List.of(network("glance"), network("fold-0"), network("fold-1"));
        TrainingSettings settings = TrainingRunTest.tiny(TrainingSettings.Mode.PATCH, tmp.resolve("patch")).epochs(1)
                .lr(0.01).anchorNet(network("anchor")).stageTargets(new TrainingSettings.StageTargets(
                        glances.get(0), glances.get(0), 0.5, 1, glances.subList(1, 3))).build();
        try (NDManager m = NDManager.newBaseManager(); StageObjective objective = new StageObjective(m, settings)) {
            List<float[]> images = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                images.add(Transforms.toNormalizedChw(train.load(i).image()));
            }
            NDArray x = ImageBatch.pack(images).toNDArray(m);
            float[][] own = new float[3][];
            for (int g = 0; g < 3; g++) {
                own[g] = Architectures.get("resnet18").loadForInference(m, 10, glances.get(g))
                        .forward(new ParameterStore(m, false), new NDList(
                                Glance.resize(x, settings.patchSize())), false)
                        .singletonOrThrow().toFloatArray();
            }
            assertTrue(!Arrays.equals(own[1], own[2]), "the fold networks differ");
            float[] training = objective.frozen(x, new int[] {0, 1, 2, 3}, false).glanceLogits().toFloatArray();
            float[] validation = objective.frozen(x, null, false).glanceLogits().toFloatArray();
            assertArrayEquals(own[0], validation, 1e-5f);
            for (int i = 0; i < 4; i++) { // image i is in fold i mod 2
                float[] expected = Arrays.copyOfRange(own[1 + i % 2], i * 10, i * 10 + 10);
                assertArrayEquals(expected, Arrays.copyOfRange(training, i * 10, i * 10 + 10), 1e-5f,
                        "image " + i);
            }
        }
        List<Double> losses = new ArrayList<>();
        String log = TrainingRunTest.run(settings, train, val, losses);
        assertEquals(1, losses.size(), log);
        Map<?, ?> config = (Map<?, ?>) TorchReader.readDict(tmp.resolve("patch/checkpoint.pth")).get("config");
        assertEquals(2L, ((Number) config.get("cross_fit_folds")).longValue(), "the checkpoint records the folds");
    }

    /**
     * A cross-fitted stage run killed in its second epoch and resumed ends with the weights of the run that was never
     * interrupted: the frozen networks, the folds and the batch order come back as they were.
     */
    @Test
    void anInterruptedStageRunResumesToTheSameWeights() throws Exception {
        Path glance = network("glance");
        Path patch = network("patch");
        List<Path> folds = List.of(network("fold-0"), network("fold-1"));
        TrainingSettings.Builder base = TrainingRunTest.tiny(TrainingSettings.Mode.PATCH, tmp.resolve("straight"))
                .epochs(2).batchSize(4).lr(0.01).schedule(TrainingSettings.Schedule.COSINE).bnRecalibrationBatches(2)
                .anchorNet(network("anchor")).pretrained(patch).keepStart(true)
                .stageTargets(new TrainingSettings.StageTargets(glance, glance, 0.5, 2, folds));
        TrainingRunTest.run(base.build(), train, val, new ArrayList<>());

        Path dir = tmp.resolve("interrupted");
        ImageDataset dying = new TrainingRunTest.DiesAfter(train, 8 + 8 + 8 + 3); // start scored, epoch 1, its BN, into 2
        assertThrows(RuntimeException.class, () -> TrainingRunTest.run(base.checkpointDir(dir).build(), dying, val,
                new ArrayList<>()));
        assertEquals(1L, TorchReader.readDict(dir.resolve("checkpoint.pth")).get("epoch"), "epoch 1 was saved");
        String log = TrainingRunTest.run(base.checkpointDir(dir).resume(true).build(), train, val, new ArrayList<>());
        assertTrue(log.contains("resumed from"), log);
        double[] straight = TrainingRunTest.weights(StateDicts.load(tmp.resolve("straight/checkpoint.pth")));
        assertTrue(!Arrays.equals(TrainingRunTest.weights(StateDicts.load(patch)), straight), "the run trained");
        assertArrayEquals(straight, TrainingRunTest.weights(StateDicts.load(dir.resolve("checkpoint.pth"))), 0,
                "the resumed run ends with the uninterrupted run's weights");
    }

    @Test
    void stageTargetsAreForPatchTrainingOnly() {
        TrainingSettings.StageTargets t = new TrainingSettings.StageTargets(Path.of("g"), Path.of("t"), 0.5, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingRunTest.tiny(
                TrainingSettings.Mode.FULL, tmp).stageTargets(t).build());
        assertTrue(e.getMessage().contains("patch training"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TrainingSettings.StageTargets(Path.of("g"),
                Path.of("t"), 1.5, 2));
    }
}
