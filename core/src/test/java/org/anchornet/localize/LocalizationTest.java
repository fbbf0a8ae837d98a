package org.anchornet.localize;

import static org.anchornet.testing.Tensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.ReceptiveField;
import org.anchornet.model.StateDictMapper;
import org.anchornet.testing.Fixtures;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import org.junit.jupiter.api.Test;

class LocalizationTest {
    private static final ReceptiveField FIELD = AnchorNet.builder().build().receptiveField();

    @Test
    void proposalsReproduceTheFixtureBoxes() throws Exception {
        Map<String, Object> io = TorchReader.readDict(Fixtures.file("anchornet_io.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            AnchorNet net = (AnchorNet) Architectures.get("anchornet").create(manager, 1000, 0);
            StateDictMapper.load(net, StateDicts.load(Fixtures.file("anchornet_state.pth")));
            PatchProposer proposer = new PatchProposer(net.receptiveField(), 224, 5, Collections.nCopies(4, 0.3));
            Proposals result = new Localizer(net, proposer)
                    .localize(new ParameterStore(manager, false), ((TorchTensor) io.get("x")).toNDArray(manager));
            long[] expected = ((TorchTensor) io.get("boxes")).toLongArray();
            long[] actual = new long[expected.length];
            int k = 0;
            for (List<Window> image : result.windows()) {
                for (Window w : image) {
                    actual[k++] = w.top();
                    actual[k++] = w.left();
                    actual[k++] = w.bottomInclusive();
                    actual[k++] = w.rightInclusive();
                }
            }
            assertArrayEquals(expected, actual);
        }
    }

    @Test
    void glanceMatchesTorchBicubicAlignCorners() throws Exception {
        Map<String, Object> io = TorchReader.readDict(Fixtures.file("anchornet_io.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = ((TorchTensor) io.get("x")).toNDArray(manager);
            assertClose((TorchTensor) io.get("glance95"), Glance.resize(x, 95), 1e-5, "glance");
        }
    }

    @Test
    void glanceIsDifferentiable() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomUniform(0, 1, new Shape(1, 1, 8, 8));
            x.setRequiresGradient(true);
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray y = Glance.resize(x, 3).sum();
                gc.backward(y);
            }
            // Each output pixel's weights sum to 1, so d(sum of 9 outputs)/dx sums to 9.
            assertEquals(9.0, x.getGradient().sum().getFloat(), 1e-4);
        }
    }

    @Test
    void interpolationRowsSumToOneAndCornersAreExact() {
        float[] m = Glance.matrix(224, 95);
        for (int i = 0; i < 95; i++) {
            double sum = 0;
            for (int j = 0; j < 224; j++) {
                sum += m[i * 224 + j];
            }
            assertEquals(1.0, sum, 1e-6);
        }
        assertEquals(1.0f, m[0], 1e-6f); // align_corners: the first output pixel is the first input pixel
        assertEquals(1.0f, m[94 * 224 + 223], 1e-6f);
    }

    @Test
    void cropsAreTheWindowsPixels() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray images = manager.arange(2 * 3 * 10 * 10f).reshape(2, 3, 10, 10);
            List<List<Window>> windows = List.of(
                    List.of(new Window(0, 0, 4), new Window(6, 5, 4)), List.of(new Window(2, 3, 4), new Window(0, 6, 4)));
            NDArray second = PatchCropper.cropRank(images, windows, 1);
            assertEquals(new Shape(2, 3, 4, 4), second.getShape());
            // image 0, channel 0, window (6,5): first pixel index 6·10 + 5
            assertEquals(65f, second.getFloat(0, 0, 0, 0));
            // image 1, channel 2, window (0,6): offset 300 + 200 + 6
            assertEquals(506f, second.getFloat(1, 2, 0, 0));
            NDArray all = PatchCropper.crop(images, windows, 0, 2);
            assertEquals(new Shape(4, 3, 4, 4), all.getShape());
            assertEquals(323f, all.getFloat(2, 0, 0, 0)); // image 1, window (2,3): 300 + 23
        }
    }

    @Test
    void proposalsRespectIouAndNeverSkipTheTestForCellZero() {
        PatchProposer proposer = new PatchProposer(FIELD, 224, 3, List.of(0.0, 0.0));
        float[] cam = new float[17 * 17];
        cam[1] = 3; // cell (0,1): best
        cam[0] = 2; // cell (0,0): overlaps (0,1) heavily; the reference would accept it unconditionally
        cam[16 * 17 + 16] = 1; // far corner
        List<Window> windows = proposer.propose(cam);
        assertEquals(new Window(0, 8, 95), windows.get(0));
        assertEquals(new Window(128, 128, 95), windows.get(1));
        // then, among the zero-score cells in index order, the first that overlaps neither: row 0, column 13
        assertEquals(new Window(0, 104, 95), windows.get(2));
        assertDisjoint(windows, windows.size());
    }

    private static void assertDisjoint(List<Window> windows, int first) {
        for (int i = 0; i < first; i++) {
            for (int j = 0; j < i; j++) {
                assertEquals(0.0, PatchProposer.iou(windows.get(i), windows.get(j)), 1e-12, i + " vs " + j);
            }
        }
    }

    @Test
    void whenTooFewWindowsPassTheBestRemainingFillTheList() {
        PatchProposer proposer = new PatchProposer(FIELD, 224, 8, java.util.Collections.nCopies(7, 0.0));
        float[] cam = new float[17 * 17];
        for (int c = 0; c < cam.length; c++) {
            cam[c] = (c * 37 % 101) / 101f; // a fixed, scrambled ranking
        }
        List<Window> windows = proposer.propose(cam);
        assertEquals(8, windows.size(), "k windows always");
        assertEquals(8, new java.util.HashSet<>(windows).size(), "no window twice");
        // only a few 95 px windows fit side by side in 224 px: those come first, pairwise disjoint
        int disjoint = 1;
        while (disjoint < windows.size() && overlapsNone(windows.subList(0, disjoint), windows.get(disjoint))) {
            disjoint++;
        }
        assertTrue(disjoint >= 2 && disjoint < 8, "disjoint prefix of " + disjoint);
        assertDisjoint(windows, disjoint);
        // the fill-ins are the best-scored cells left, in descending score
        for (int i = disjoint + 1; i < windows.size(); i++) {
            assertTrue(score(cam, windows.get(i - 1)) >= score(cam, windows.get(i)), "fill-in order at " + i);
        }
    }

    private static boolean overlapsNone(List<Window> accepted, Window w) {
        return accepted.stream().allMatch(a -> PatchProposer.iou(a, w) == 0);
    }

    private static float score(float[] cam, Window w) {
        return cam[(w.top() / 8) * 17 + w.left() / 8];
    }

    @Test
    void iouOfIdenticalAndDisjointWindows() {
        Window a = new Window(0, 0, 95);
        assertEquals(1.0, PatchProposer.iou(a, a), 1e-12);
        assertEquals(0.0, PatchProposer.iou(a, new Window(0, 95, 95)), 1e-12);
        double half = PatchProposer.iou(a, new Window(0, 47, 95));
        assertTrue(half > 0.3 && half < 0.4, "47 px shift of a 94-wide window: " + half);
    }

    @Test
    void badProposalSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new PatchProposer(FIELD, 224, 0, List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> new PatchProposer(FIELD, 224, 290, Collections.nCopies(289, 0.3)));
        assertThrows(IllegalArgumentException.class, () -> new PatchProposer(FIELD, 224, 2, List.of(1.5)));
        assertThrows(IllegalArgumentException.class, () -> new PatchProposer(FIELD, 224, 3, List.of(0.3)));
        assertThrows(IllegalArgumentException.class, () -> new PatchProposer(FIELD, 64, 1, List.of()));
    }
}
