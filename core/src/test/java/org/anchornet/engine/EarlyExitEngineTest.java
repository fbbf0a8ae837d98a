package org.anchornet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.Transforms;
import org.anchornet.exits.Answer;
import org.anchornet.exits.DynamicInference;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.StageCosts;
import org.anchornet.localize.Glance;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchCropper;
import org.anchornet.localize.PatchProposer;
import org.anchornet.localize.WindowSource;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EarlyExitEngineTest {
    private static final int SIDE = 128;
    private static final int TOPK = 3;
    private static final StageCosts COSTS = StageCosts.of(TOPK + 1, 100, 7);
    private static NDManager manager;
    private static TorchModule glance;
    private static TorchModule patch;
    private static Localizer localizer;
    private static ClutteredFashionMnist data;

    @BeforeAll
    static void networks() throws Exception {
        manager = NDManager.newBaseManager();
        AnchorNet anchor = (AnchorNet) Architectures.get("anchornet").create(manager, 10, 1);
        glance = Architectures.get("resnet18").create(manager, 10, 2);
        patch = Architectures.get("resnet18").create(manager, 10, 3);
        localizer = new Localizer(anchor, new PatchProposer(anchor.receptiveField(), SIDE, TOPK, List.of(0.3, 0.3)));
        data = new ClutteredFashionMnist(FashionMnist.read(java.nio.file.Path.of("src/test/resources/fashion-mnist-sample")),
                ClutteredFashionMnist.Split.TEST, 12, new ClutteredFashionMnist.Config(SIDE, 3, 2, 12, 4, 1));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static EarlyExitEngine engine() {
        return new EarlyExitEngine(glance, patch, WindowSource.anchorNet(localizer), COSTS);
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
            EarlyExitEngine everyone = engine();
            for (Prediction p : everyone.run(x, ExitPolicy.thresholds(
                    ExitThresholds.of(Double.NEGATIVE_INFINITY, 0, 0, 0)))) {
                assertEquals(1, p.exitStage());
                assertEquals(List.of(), p.windows(), "AnchorNet never ran, so no window was proposed");
                assertNull(p.cam());
                assertEquals(COSTS.stage(0), p.multiplyAdds());
            }
            assertArrayEquals(new long[] {12, 0, 0, 0}, everyone.calls());
            assertEquals(0, everyone.windowSourceCalls(), "nobody went past the glance, so AnchorNet never ran");

            EarlyExitEngine replay = engine();
            replay.useChunks(5);
            int[] exits = {1, 2, 3, 4, 1, 2, 3, 4, 4, 4, 2, 1};
            List<Prediction> predictions = replay.run(x, ExitPolicy.exitStages(exits));
            assertArrayEquals(exits, predictions.stream().mapToInt(Prediction::exitStage).toArray());
            assertArrayEquals(new long[] {12, 9, 6, 4}, replay.calls());
            assertEquals(9, replay.windowSourceCalls());
            for (int i = 0; i < 12; i++) {
                Prediction p = predictions.get(i);
                assertEquals(exits[i], p.stages().size());
                assertEquals(exits[i] - 1, p.windowOutcomes().size());
                assertEquals(exits[i] == 1 ? 0 : TOPK, p.windows().size());
                assertEquals(exits[i] == 1, p.cam() == null);
                assertEquals(COSTS.stage(exits[i] - 1), p.multiplyAdds());
                assertEquals(p.stages().get(exits[i] - 1).predicted(), p.predicted());
            }
        }
    }

    @Test
    void stagesAreTheGlanceThenTheRunningSumOfPatchLogits() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            Prediction p = engine().run(x, ExitPolicy.never()).get(4);
            ParameterStore store = new ParameterStore(m, false);
            NDArray one = x.get("4:5");
            NDArray sum = glance.forward(store, new NDList(Glance.resize(one, 95)), false).singletonOrThrow();
            for (int rank = 0; rank < TOPK; rank++) {
                NDArray crop = PatchCropper.cropRank(one, List.of(p.windows()), rank);
                NDArray own = patch.forward(store, new NDList(crop), false).singletonOrThrow();
                float[] ownProbs = own.softmax(1).toFloatArray();
                Prediction.StageOutcome window = p.windowOutcomes().get(rank);
                assertEquals(ownProbs[window.predicted()], window.confidence(), 1e-5, "window " + (rank + 1));
                sum = sum.add(own);
            }
            float[] probs = sum.softmax(1).toFloatArray();
            assertArrayEquals(probs, p.probabilities(), 1e-5f, "the last stage sums the glance and every window");
            assertEquals(TOPK + 1, p.exitStage());
            assertNotNull(p.cam());
        }
    }

    @Test
    void aLoneImageRunsAsAPairAndGetsItsOwnRow() {
        try (NDManager m = manager.newSubManager()) {
            ParameterStore store = new ParameterStore(m, false);
            NDArray small = Glance.resize(batch(m), 95);
            float[] inBatch = glance.forward(store, new NDList(small), false).singletonOrThrow().get("5:6")
                    .toFloatArray();
            NDArray alone = glance.infer(store, small.get("5:6"));
            assertEquals(new Shape(1, 10), alone.getShape());
            assertArrayEquals(inBatch, alone.toFloatArray(), 1e-4f);
        }
    }

    @Test
    void aLoneImageGetsWhatItGetsInABatch() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            List<Prediction> inBatch = engine().run(x, ExitPolicy.never());
            EarlyExitEngine lone = engine();
            for (int i : new int[] {0, 7}) {
                Prediction alone = lone.run(x.get(i + ":" + (i + 1)), ExitPolicy.never()).get(0);
                Prediction batched = inBatch.get(i);
                assertEquals(batched.windows(), alone.windows());
                assertArrayEquals(batched.probabilities(), alone.probabilities(), 1e-5f);
                for (int s = 0; s <= TOPK; s++) {
                    assertEquals(batched.stages().get(s).predicted(), alone.stages().get(s).predicted());
                    assertEquals(batched.stages().get(s).confidence(), alone.stages().get(s).confidence(), 1e-5);
                }
            }
            assertArrayEquals(new long[] {2, 2, 2, 2}, lone.calls(), "two lone images through every stage");
        }
    }

    /** Every stage of every image of the batch, as the engine computes them. */
    private static ExitTable table() {
        try (BatchLoader loader = new BatchLoader(data, (img, r) -> Transforms.toNormalizedChw(img),
                new BatchLoader.Options(5, 0, 1, false, false), w -> { })) {
            return new ExitTableMaker(engine()).make(loader, ExitTableMaker.metadata("resnet18", 95,
                    List.of(0.3, 0.3), COSTS, ""), done -> { });
        }
    }

    /** Thresholds halfway between the table's median confidences, so that float noise cannot flip a decision. */
    private static double[] halfwayThresholds(ExitTable table) {
        double[] t = new double[TOPK + 1];
        for (int j = 0; j < TOPK; j++) {
            float[] c = new float[table.images()];
            for (int i = 0; i < c.length; i++) {
                c[i] = table.confidence(j, i);
            }
            Arrays.sort(c);
            t[j] = (c[5] + c[6]) / 2.0;
        }
        t[TOPK] = Double.NEGATIVE_INFINITY;
        return t;
    }

    @Test
    void engineExitsWhereTheSimulationOnItsTableSays() {
        ExitTable table = table();
        assertEquals(12, table.images());
        double[] t = halfwayThresholds(table);
        int[] expected = new int[12];
        for (int i = 0; i < 12; i++) {
            final int image = i;
            expected[i] = ExitRule.exitStage(s -> table.confidence(s, image), t) + 1;
        }
        assertEquals(TOPK + 1, Arrays.stream(expected).max().orElseThrow(), "some image goes all the way");
        try (NDManager m = manager.newSubManager()) {
            EarlyExitEngine engine = engine();
            List<Prediction> predictions = engine.run(batch(m), ExitPolicy.thresholds(ExitThresholds.of(t)));
            for (int i = 0; i < 12; i++) {
                assertEquals(expected[i], predictions.get(i).exitStage(), "image " + i);
                assertEquals(table.predicted(expected[i] - 1, i).orElseThrow(), predictions.get(i).predicted());
                assertEquals(table.confidence(expected[i] - 1, i), predictions.get(i).confidence(), 1e-6);
            }
            long[] calls = engine.calls();
            for (int s = 0; s <= TOPK; s++) {
                final int stage = s;
                assertEquals(Arrays.stream(expected).filter(e -> e > stage).count(), calls[s], "stage " + (s + 1));
            }
        }
    }

    @Test
    void underTheMostConfidentRuleTheEngineAnswersAsTheSimulationOnItsTable() {
        ExitTable table = table();
        ExitTable seen = table.answeredBy(Answer.MOST_CONFIDENT);
        // Random networks grow more confident stage by stage for most images, but not all. The most confident image
        // after stage 2 leaves there (halfway between the top two confidences the rule tests, far apart); every other
        // image runs every stage and answers by its most confident one, for some an earlier stage than the last.
        float[] second = new float[12];
        for (int i = 0; i < 12; i++) {
            second[i] = seen.confidence(1, i);
        }
        Arrays.sort(second);
        double[] thresholds = new double[TOPK + 1];
        Arrays.fill(thresholds, Double.POSITIVE_INFINITY);
        thresholds[1] = (second[10] + second[11]) / 2.0;
        ExitThresholds t = ExitThresholds.of(thresholds).withAnswer(Answer.MOST_CONFIDENT);
        int leftEarly = 0;
        int answeredEarlier = 0;
        try (NDManager m = manager.newSubManager()) {
            EarlyExitEngine engine = engine();
            List<Prediction> predictions = engine.run(batch(m), ExitPolicy.thresholds(t));
            for (int i = 0; i < 12; i++) {
                final int image = i;
                int exit = ExitRule.exitStage(s -> table.confidence(s, image), t);
                int answer = ExitRule.answerStage(s -> table.confidence(s, image), exit, Answer.MOST_CONFIDENT);
                Prediction p = predictions.get(i);
                assertEquals(exit + 1, p.exitStage(), "image " + i);
                assertEquals(table.predicted(answer, i).orElseThrow(), p.predicted(), "image " + i);
                assertEquals(seen.predicted(exit, i).orElseThrow(), p.predicted(), "image " + i);
                assertEquals(table.confidence(answer, i), p.confidence(), 1e-6, "image " + i);
                assertEquals(p.confidence(), p.probabilities()[p.predicted()], 1e-6, "the answer's probabilities");
                answeredEarlier += answer < exit ? 1 : 0;
                leftEarly += exit < TOPK ? 1 : 0;
            }
            assertTrue(answeredEarlier > 0, "no image was answered by an earlier stage: the test shows nothing");
            assertEquals(1, leftEarly, "the most confident image leaves after stage 2");
            Outcome simulated = DynamicInference.evaluate(table, t, COSTS);
            long right = java.util.stream.IntStream.range(0, 12)
                    .filter(i -> predictions.get(i).predicted() == table.label(i).orElseThrow()).count();
            assertEquals(simulated.correct(), right, "the simulation's accuracy is the engine's");
        }
    }

    @Test
    void flightsFromDifferentBatchesMergeBetweenStagesAndGiveTheSamePredictions() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            List<Prediction> whole = engine().run(x, ExitPolicy.never());
            EarlyExitEngine e = engine();
            // two "requests": images 0–4 and 5–11, each through the glance alone, then merged for the windows
            var a = e.step(e.begin(x.get("0:5"), List.of(0, 1, 2, 3, 4)), ExitPolicy.never());
            var b = e.step(e.begin(x.get("5:12"), List.of(5, 6, 7, 8, 9, 10, 11)), ExitPolicy.never());
            var flight = e.merge(List.of(a.survivors(), b.survivors()));
            assertEquals(12, flight.size());
            assertEquals(1, flight.stage());
            Prediction[] merged = new Prediction[12];
            while (flight.size() > 0) {
                var step = e.step(flight, ExitPolicy.never());
                step.finished().forEach(f -> merged[f.tag()] = f.prediction());
                flight = step.survivors();
            }
            for (int i = 0; i < 12; i++) {
                assertEquals(whole.get(i).predicted(), merged[i].predicted(), "image " + i);
                assertArrayEquals(whole.get(i).probabilities(), merged[i].probabilities(), 1e-5f, "image " + i);
                assertEquals(whole.get(i).windows(), merged[i].windows(), "image " + i);
            }
            assertArrayEquals(new long[] {12, 12, 12, 12}, e.calls());
            assertEquals(12, e.windowSourceCalls(), "AnchorNet ran once per image, on the merged flight");
        }
    }

    /** The patch network, counting the images of each pass it runs. */
    private static final class CountingPatch extends TorchModule {
        final java.util.List<Long> passes = new java.util.ArrayList<>();

        @Override
        protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
            passes.add(x.getShape().get(0));
            return patch.forward(store, new NDList(x), false).singletonOrThrow();
        }

        @Override
        public ai.djl.ndarray.types.Shape[] getOutputShapes(ai.djl.ndarray.types.Shape[] inputs) {
            return patch.getOutputShapes(inputs);
        }
    }

    @Test
    void flightsAtDifferentStagesShareOnePatchPassAndGiveTheSamePredictions() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            List<Prediction> whole = engine().run(x, ExitPolicy.never());
            CountingPatch counting = new CountingPatch();
            EarlyExitEngine e = new EarlyExitEngine(glance, counting, WindowSource.anchorNet(localizer), COSTS);
            // three "requests" set off one step apart, so that their flights are at stages 0, 1 and 2 together
            Prediction[] joint = new Prediction[12];
            List<Flight<Integer>> flights = new java.util.ArrayList<>();
            int rounds = 0;
            for (int start = 0; start < 12 || !flights.isEmpty(); start += 4) {
                if (start < 12) {
                    flights.add(0, e.begin(x.get(start + ":" + (start + 4)), List.of(start, start + 1, start + 2,
                            start + 3)));
                }
                List<Flight<Integer>> next = new java.util.ArrayList<>();
                for (var step : e.stepTogether(flights, ExitPolicy.never())) {
                    step.finished().forEach(f -> joint[f.tag()] = f.prediction());
                    if (step.survivors().size() > 0) {
                        next.add(step.survivors());
                    } else {
                        step.survivors().close();
                    }
                }
                flights = next;
                rounds++;
            }
            assertEquals(6, rounds, "three flights of four stages, set off one round apart");
            for (int i = 0; i < 12; i++) {
                assertEquals(whole.get(i).predicted(), joint[i].predicted(), "image " + i);
                assertArrayEquals(whole.get(i).probabilities(), joint[i].probabilities(), 1e-5f, "image " + i);
                assertEquals(whole.get(i).windows(), joint[i].windows(), "image " + i);
                assertEquals(4, joint[i].exitStage());
            }
            // rounds 2–6 run the patch network once each: on 4, 8, 12, 8 and 4 images (the stages past the glance)
            assertEquals(List.of(4L, 8L, 12L, 8L, 4L), counting.passes);
            assertArrayEquals(new long[] {12, 12, 12, 12}, e.calls(), "each stage's clock counts its own images");
            assertEquals(12, e.windowSourceCalls());
        }
    }

    /** Steps one flight to the end with this run-ahead, keeping every prediction by tag. */
    private static Prediction[] runAhead(EarlyExitEngine e, Flight<Integer> flight, ExitPolicy policy, int ahead,
            int images) {
        Prediction[] out = new Prediction[images];
        while (flight.size() > 0) {
            var step = e.stepTogether(List.of(flight), policy, ahead).get(0);
            step.finished().forEach(f -> out[f.tag()] = f.prediction());
            flight = step.survivors();
        }
        flight.close();
        return out;
    }

    private static void assertSamePredictions(List<Prediction> expected, Prediction[] actual) {
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).exitStage(), actual[i].exitStage(), "image " + i);
            assertEquals(expected.get(i).predicted(), actual[i].predicted(), "image " + i);
            assertArrayEquals(expected.get(i).probabilities(), actual[i].probabilities(), 1e-5f, "image " + i);
            assertEquals(expected.get(i).windows(), actual[i].windows(), "image " + i);
            assertEquals(expected.get(i).stages().size(), actual[i].stages().size(), "image " + i);
        }
    }

    @Test
    void runningAheadGivesTheSameAnswersInFewerPassesAndPricesThePassAtTheStageThatNeededIt() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            List<Integer> tags = java.util.stream.IntStream.range(0, 12).boxed().toList();
            List<Prediction> whole = engine().run(x, ExitPolicy.never());
            CountingPatch counting = new CountingPatch();
            EarlyExitEngine e = new EarlyExitEngine(glance, counting, WindowSource.anchorNet(localizer), COSTS);
            assertSamePredictions(whole, runAhead(e, e.begin(x, tags), ExitPolicy.never(), TOPK, 12));
            assertEquals(List.of(36L), counting.passes, "every image's three windows in the first patch pass");
            assertArrayEquals(new long[] {12, 12, 12, 12}, e.calls(), "each stage counts the images that went through");
            StageTimes.Snapshot times = e.stageTimes().snapshot();
            assertTrue(times.stages().get(1).nanos(StageTimes.Part.NETWORK) > 0);
            for (int s = 2; s <= TOPK; s++) {
                assertEquals(0, times.stages().get(s).nanos(StageTimes.Part.NETWORK), "stage " + (s + 1)
                        + " used windows computed ahead: its time is in stage 2's pass");
                assertEquals(0, times.stages().get(s).batches());
            }

            // with exits, two windows at a time: the stage after a pass needs none, and only survivors run on
            double[] t = halfwayThresholds(table());
            List<Prediction> sequential = engine().run(x, ExitPolicy.thresholds(ExitThresholds.of(t)));
            CountingPatch pairs = new CountingPatch();
            EarlyExitEngine p = new EarlyExitEngine(glance, pairs, WindowSource.anchorNet(localizer), COSTS);
            assertSamePredictions(sequential, runAhead(p, p.begin(x, tags), ExitPolicy.thresholds(
                    ExitThresholds.of(t)), 2, 12));
            long past1 = sequential.stream().filter(q -> q.exitStage() > 1).count();
            long past3 = sequential.stream().filter(q -> q.exitStage() > 3).count();
            long last = past3 == 1 ? 2 : past3; // a lone image's last window runs as a pair of itself
            assertEquals(past3 > 0 ? List.of(2 * past1, last) : List.of(2 * past1), pairs.passes);
            for (int s = 0; s <= TOPK; s++) {
                final int stage = s;
                assertEquals(sequential.stream().filter(q -> q.exitStage() > stage).count(), p.calls()[s]);
            }
        }
    }

    @Test
    void aLoneImageTakesItsNextWindowInThePairItRunsAsAnyway() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            List<Prediction> inBatch = engine().run(x, ExitPolicy.never());
            CountingPatch counting = new CountingPatch();
            EarlyExitEngine lone = new EarlyExitEngine(glance, counting, WindowSource.anchorNet(localizer), COSTS);
            Prediction alone = lone.run(x.get("7:8"), ExitPolicy.never()).get(0);
            assertSamePredictions(List.of(inBatch.get(7)), new Prediction[] {alone});
            // windows 1 and 2 as a pair; then window 3, the last, which runs as a pair of itself
            assertEquals(List.of(2L, 2L), counting.passes);
            assertArrayEquals(new long[] {1, 1, 1, 1}, lone.calls());
        }
    }

    @Test
    void atBatchSizeOneTheBenchmarkRunsEachImageAloneAsALoneRequestRuns() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            List<NDArray> ones = java.util.stream.IntStream.range(0, 4).mapToObj(i -> x.get(i + ":" + (i + 1)))
                    .toList();
            CountingPatch counting = new CountingPatch();
            EarlyExitEngine e = new EarlyExitEngine(glance, counting, WindowSource.anchorNet(localizer), COSTS);
            StageTimeReport report = EngineBenchmark.everyStage(e, ones, 1);
            // the warm-up image, then each of the four: windows 1 and 2 as a pair, window 3 as a pair of itself
            assertEquals(java.util.Collections.nCopies(10, 2L), counting.passes);
            assertEquals(List.of(4L, 4L, 4L, 4L), report.stages().stream().map(StageTimeReport.Stage::images)
                    .toList());
            assertEquals(List.of(4L, 4L, 0L, 4L), report.stages().stream().map(StageTimeReport.Stage::batches)
                    .toList(), "stage 3 needs no pass of its own");
            assertEquals(0, report.stages().get(2).networkMs());
            assertTrue(report.stages().get(1).networkMs() > 0 && report.stages().get(3).networkMs() > 0);
        }
    }

    @Test
    void flightsWithWindowsComputedAheadMergeOnWhatTheyAllHave() {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = batch(m);
            List<Prediction> whole = engine().run(x, ExitPolicy.never());
            CountingPatch counting = new CountingPatch();
            EarlyExitEngine e = new EarlyExitEngine(glance, counting, WindowSource.anchorNet(localizer), COSTS);
            var a = e.step(e.begin(x.get("0:5"), List.of(0, 1, 2, 3, 4)), ExitPolicy.never()).survivors();
            var b = e.step(e.begin(x.get("5:12"), List.of(5, 6, 7, 8, 9, 10, 11)), ExitPolicy.never()).survivors();
            a = e.stepTogether(List.of(a), ExitPolicy.never(), 3).get(0).survivors();
            b = e.stepTogether(List.of(b), ExitPolicy.never(), 2).get(0).survivors();
            assertEquals(2, a.stagesAhead());
            assertEquals(1, b.stagesAhead());
            Flight<Integer> merged = e.merge(List.of(a, b));
            assertEquals(1, merged.stagesAhead(), "the stage both have; the third window is computed again");
            assertSamePredictions(whole, runAhead(e, merged, ExitPolicy.never(), 1, 12));
            assertEquals(List.of(15L, 14L, 12L), counting.passes);
        }
    }

    @Test
    void stageCostsMustMatchStages() {
        assertThrows(IllegalArgumentException.class, () -> new EarlyExitEngine(glance, patch,
                WindowSource.anchorNet(localizer), StageCosts.of(2, 100, 7)));
    }
}
