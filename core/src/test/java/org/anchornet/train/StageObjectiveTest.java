package org.anchornet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.ImageDataset;
import org.anchornet.torchio.TorchReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageObjectiveTest {
    @TempDir Path tmp;

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
        ImageDataset train = TrainingRunTest.canvases(ClutteredFashionMnist.Split.TRAIN, 8);
        ImageDataset val = TrainingRunTest.canvases(ClutteredFashionMnist.Split.VAL, 8);
        List<Double> ignored = new ArrayList<>();
        TrainingRunTest.run(TrainingRunTest.tiny(TrainingSettings.Mode.ANCHORNET, tmp.resolve("anchor")).epochs(1)
                .build(), train, val, ignored);
        TrainingRunTest.run(TrainingRunTest.tiny(TrainingSettings.Mode.RESIZED, tmp.resolve("glance")).epochs(1)
                .build(), train, val, ignored);
        TrainingRunTest.run(TrainingRunTest.tiny(TrainingSettings.Mode.FULL, tmp.resolve("full")).epochs(1).build(),
                train, val, ignored);
        // the frozen glance adds its logits to every stage, so the patch network starts at a lower rate than alone
        TrainingSettings settings = TrainingRunTest.tiny(TrainingSettings.Mode.PATCH, tmp.resolve("patch")).epochs(5)
                .lr(0.01).anchorNet(tmp.resolve("anchor/best.pth")).stageTargets(new TrainingSettings.StageTargets(
                        tmp.resolve("glance/best.pth"), tmp.resolve("full/best.pth"), 0.5, 1)).build();
        List<Double> losses = new ArrayList<>();
        String log = TrainingRunTest.run(settings, train, val, losses);
        assertEquals(5, losses.size(), log);
        assertTrue(losses.get(4) < losses.get(0), "the stage loss did not go down: " + losses);
        Map<?, ?> config = (Map<?, ?>) TorchReader.readDict(tmp.resolve("patch/checkpoint.pth")).get("config");
        assertEquals("stages", config.get("patch_objective"), "the checkpoint says how it was trained");
        assertEquals(0.5, ((Number) config.get("distillation")).doubleValue());
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
