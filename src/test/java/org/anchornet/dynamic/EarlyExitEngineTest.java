package org.anchornet.dynamic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.Transforms;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchProposer;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EarlyExitEngineTest {
    private static final int SIDE = 128;
    private static final int TOPK = 3;
    private static NDManager manager;
    private static TorchModule resized;
    private static TorchModule patch;
    private static Localizer localizer;
    private static ClutteredFashionMnist data;

    @BeforeAll
    static void networks() throws Exception {
        manager = NDManager.newBaseManager();
        AnchorNet anchor = (AnchorNet) Architectures.get("anchornet").create(manager, 10, 1);
        resized = Architectures.get("resnet18").create(manager, 10, 2);
        patch = Architectures.get("resnet18").create(manager, 10, 3);
        localizer = new Localizer(anchor, new PatchProposer(anchor.receptiveField(), SIDE, TOPK, List.of(0.3, 0.3)));
        data = new ClutteredFashionMnist(FashionMnist.read(java.nio.file.Path.of("src/test/resources/fashion-mnist-sample")),
                ClutteredFashionMnist.Split.TEST, 12, new ClutteredFashionMnist.Config(SIDE, 3, 2, 12, 4, 1));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static NDArray batch(NDManager m) {
        float[] all = new float[12 * 3 * SIDE * SIDE];
        for (int i = 0; i < 12; i++) {
            float[] one = Transforms.toNormalizedChw(data.load(i).image());
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        return m.create(all, new Shape(12, 3, SIDE, SIDE));
    }

    @Test
    void imagesThatLeaveAreNotComputedAgain() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            EarlyExitEngine everyone = new EarlyExitEngine(resized, patch, localizer,
                    new double[] {Double.NEGATIVE_INFINITY, 0, 0, 0});
            everyone.classify(x).forEach(d -> assertEquals(1, d.exitStage()));
            assertArrayEquals(new long[] {12, 0, 0, 0}, everyone.calls());
            assertEquals(0, everyone.anchorNetCalls(), "nobody left after the glance, so AnchorNet never ran");

            EarlyExitEngine replay = new EarlyExitEngine(resized, patch, localizer, new double[] {1, 1, 1, 1});
            int[] exits = {1, 2, 3, 4, 1, 2, 3, 4, 4, 4, 2, 1};
            List<EarlyExitEngine.Decision> decisions = replay.replay(x, exits);
            assertArrayEquals(exits, decisions.stream().mapToInt(EarlyExitEngine.Decision::exitStage).toArray());
            assertArrayEquals(new long[] {12, 9, 6, 4}, replay.calls());
            assertEquals(9, replay.anchorNetCalls());
            for (int i = 0; i < 12; i++) {
                assertEquals(exits[i] - 1, decisions.get(i).windows().size());
                assertEquals(exits[i], decisions.get(i).stagePredictions().length);
            }
        }
    }

    @Test
    void engineExitsWhereTheSimulationOnItsTableSays() throws Exception {
        ExitTable table;
        try (BatchLoader loader = new BatchLoader(data, (img, r) -> Transforms.toNormalizedChw(img),
                new BatchLoader.Options(5, 0, 1, false, false), w -> { })) {
            table = new ExitTableMaker(resized, patch, localizer).make(loader, manager,
                    new ExitTable.Metadata("t", Optional.empty(), Optional.empty(), List.of(), Optional.empty(),
                            List.of()), done -> { });
        }
        // Thresholds halfway between confidences so that float noise cannot flip a decision.
        double[] t = new double[TOPK + 1];
        for (int j = 0; j < TOPK; j++) {
            float[] c = new float[12];
            for (int i = 0; i < 12; i++) {
                c[i] = table.confidence(j, i);
            }
            Arrays.sort(c);
            t[j] = (c[5] + c[6]) / 2.0;
        }
        t[TOPK] = Double.NEGATIVE_INFINITY;
        int[] expected = new int[12];
        for (int i = 0; i < 12; i++) {
            int s = 0;
            while (s < TOPK && !(table.confidence(s, i) > t[s])) {
                s++;
            }
            expected[i] = s + 1;
        }
        try (NDManager m = manager.newSubManager()) {
            EarlyExitEngine engine = new EarlyExitEngine(resized, patch, localizer, t);
            List<EarlyExitEngine.Decision> decisions = engine.classify(batch(m));
            for (int i = 0; i < 12; i++) {
                assertEquals(expected[i], decisions.get(i).exitStage(), "image " + i);
                assertEquals(table.predicted(expected[i] - 1, i).orElseThrow(), decisions.get(i).predicted());
            }
            long[] calls = engine.calls();
            for (int s = 0; s <= TOPK; s++) {
                final int stage = s;
                assertEquals(Arrays.stream(expected).filter(e -> e > stage).count(), calls[s], "stage " + (s + 1));
            }
        }
    }

    @Test
    void thresholdCountMustMatchStages() {
        assertThrows(IllegalArgumentException.class,
                () -> new EarlyExitEngine(resized, patch, localizer, new double[] {0.5, 0}));
    }
}
