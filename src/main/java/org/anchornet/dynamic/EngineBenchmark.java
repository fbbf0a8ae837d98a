package org.anchornet.dynamic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.Arrays;
import java.util.List;
import org.anchornet.model.TorchModule;

/**
 * Times the early-exit engine against the full-resolution network on the same batches, threads and process, and
 * reports images/s, the multiply-adds actually spent per image (from the engine's call counts), the speedup and how
 * close it comes to the multiply-add ratio. Each side runs a warm-up batch, then {@code rounds} timed passes; the
 * fastest pass counts, which is the usual defence against a noisy shared machine.
 */
public final class EngineBenchmark {
    /** Costs of one pass of each network, per image. */
    public record Costs(long downstreamAtPatch, long anchorNet, long baselineAtInput) {}

    /** Measured figures. */
    public record Result(int images, int batchSize, double engineImagesPerSecond, double baselineImagesPerSecond,
            double engineMultiplyAdds, double baselineMultiplyAdds, long[] stageCalls, long anchorCalls) {
        public double speedup() {
            return engineImagesPerSecond / baselineImagesPerSecond;
        }

        public double multiplyAddRatio() {
            return baselineMultiplyAdds / engineMultiplyAdds;
        }

        /** Measured speedup as a share of the multiply-add ratio (1 = all the saved arithmetic became time). */
        public double efficiency() {
            return speedup() / multiplyAddRatio();
        }

        /** The figures under the names the demo's summary.json and {@code bench --json} use. */
        public java.util.Map<String, Object> toMap() {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("images", images);
            m.put("batch_size", batchSize);
            m.put("engine_images_per_s", engineImagesPerSecond);
            m.put("baseline_images_per_s", baselineImagesPerSecond);
            m.put("engine_gmacs_per_image", engineMultiplyAdds / 1e9);
            m.put("baseline_gmacs_per_image", baselineMultiplyAdds / 1e9);
            m.put("speedup", speedup());
            m.put("multiply_add_ratio", multiplyAddRatio());
            m.put("efficiency", efficiency());
            m.put("images_per_stage", stageCalls);
            m.put("anchornet_images", anchorCalls);
            return m;
        }
    }

    private EngineBenchmark() {}

    /**
     * Images are given to the engine all at once and it works in chunks of the batch size (see {@link
     * EarlyExitEngine#withChunk}), so its later stages run full batches; the baseline runs batch by batch.
     *
     * @param batches N×3×S×S batches (same size); kept by the caller
     * @param forcedExits per batch, exit stages to replay, or null to use the engine's thresholds
     */
    public static Result run(EarlyExitEngine engine, TorchModule baseline, List<NDArray> batches,
            List<int[]> forcedExits, Costs costs, int rounds) {
        int images = batches.stream().mapToInt(b -> (int) b.getShape().get(0)).sum();
        long[] before = engine.calls();
        long anchorBefore = engine.anchorNetCalls();
        runEngine(engine, batches.subList(0, 1), forcedExits == null ? null : forcedExits.subList(0, 1));
        runBaseline(baseline, batches.subList(0, 1));
        double engineBest = Double.MAX_VALUE;
        double baselineBest = Double.MAX_VALUE;
        long[] afterWarmup = engine.calls();
        long anchorAfterWarmup = engine.anchorNetCalls();
        for (int r = 0; r < rounds; r++) {
            engineBest = Math.min(engineBest, runEngine(engine, batches, forcedExits));
            baselineBest = Math.min(baselineBest, runBaseline(baseline, batches));
        }
        long[] after = engine.calls();
        long[] perRound = new long[after.length];
        for (int s = 0; s < after.length; s++) {
            perRound[s] = (after[s] - afterWarmup[s]) / rounds;
        }
        long anchorPerRound = (engine.anchorNetCalls() - anchorAfterWarmup) / rounds;
        double macs = (Arrays.stream(perRound).sum() * (double) costs.downstreamAtPatch()
                + anchorPerRound * (double) costs.anchorNet()) / images;
        return new Result(images, (int) batches.get(0).getShape().get(0), images / engineBest, images / baselineBest,
                macs, costs.baselineAtInput(), perRound, anchorPerRound);
    }

    private static double runEngine(EarlyExitEngine engine, List<NDArray> batches, List<int[]> forced) {
        engine.withChunk((int) batches.get(0).getShape().get(0));
        try (NDManager scope = batches.get(0).getManager().newSubManager()) {
            NDArray all;
            if (batches.size() == 1) {
                all = batches.get(0);
                all.tempAttach(scope);
            } else {
                all = ai.djl.ndarray.NDArrays.concat(new NDList(batches), 0);
                all.attach(scope);
            }
            int[] exits = forced == null ? null : forced.stream().flatMapToInt(java.util.Arrays::stream).toArray();
            long start = System.nanoTime();
            if (exits == null) {
                engine.classify(all);
            } else {
                engine.replay(all, exits);
            }
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static double runBaseline(TorchModule baseline, List<NDArray> batches) {
        long start = System.nanoTime();
        for (NDArray batch : batches) {
            try (NDManager scope = batch.getManager().newSubManager()) {
                batch.tempAttach(scope);
                NDArray logits = baseline.forward(new ParameterStore(scope, false), new NDList(batch), false)
                        .singletonOrThrow();
                // the same per-image read-out the engine does: probabilities and the top class
                logits.softmax(1).toFloatArray();
                logits.argMax(1).toLongArray();
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }
}
