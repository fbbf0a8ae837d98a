package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.google.gson.annotations.SerializedName;
import java.util.List;
import org.anchornet.model.TorchModule;

/**
 * Times the early-exit engine against the full-resolution network on the same batches, threads and process, and
 * reports images/s, the multiply-adds actually spent per image (from the engine's call counts), the speedup and how
 * close it comes to the multiply-add ratio. Each side runs a warm-up batch, then {@code rounds} timed passes; the
 * fastest pass counts, which is the usual defence against a noisy shared machine.
 */
public final class EngineBenchmark {
    /**
     * Measured figures; the JSON names are those of {@code bench --json} and the demo's summary.
     *
     * @param efficiency measured speedup as a share of the multiply-add ratio (1 = all the saved arithmetic became
     *     time)
     */
    public record Result(int images,
            @SerializedName("batch_size") int batchSize,
            @SerializedName("engine_images_per_s") double engineImagesPerSecond,
            @SerializedName("baseline_images_per_s") double baselineImagesPerSecond,
            @SerializedName("engine_multiply_adds_per_image") double engineMultiplyAdds,
            @SerializedName("baseline_multiply_adds_per_image") double baselineMultiplyAdds,
            @SerializedName("images_per_stage") long[] stageCalls,
            @SerializedName("anchornet_images") long anchorCalls,
            double speedup,
            @SerializedName("multiply_add_ratio") double multiplyAddRatio,
            double efficiency,
            @SerializedName("stage_times") StageTimeReport stageTimes) {
        static Result of(int images, int batchSize, double engineImagesPerSecond, double baselineImagesPerSecond,
                double engineMultiplyAdds, double baselineMultiplyAdds, long[] stageCalls, long anchorCalls,
                StageTimeReport stageTimes) {
            double speedup = engineImagesPerSecond / baselineImagesPerSecond;
            double ratio = baselineMultiplyAdds / engineMultiplyAdds;
            return new Result(images, batchSize, engineImagesPerSecond, baselineImagesPerSecond, engineMultiplyAdds,
                    baselineMultiplyAdds, stageCalls, anchorCalls, speedup, ratio, speedup / ratio, stageTimes);
        }
    }

    private EngineBenchmark() {}

    /**
     * Images are given to the engine all at once and it works in chunks of the batch size (see {@link
     * EarlyExitEngine#useChunks}), so its later stages run full batches; the baseline runs batch by batch. At batch
     * size 1 each image runs alone instead, as a lone request does.
     *
     * @param batches N×3×S×S batches (same size); kept by the caller
     * @param policy who leaves where; image i of the policy is image i of the batches in order
     * @param baselineMultiplyAdds the full-resolution network's cost per image
     */
    public static Result run(EarlyExitEngine engine, TorchModule baseline, List<NDArray> batches,
            ExitPolicy policy, long baselineMultiplyAdds, int rounds) {
        int images = batches.stream().mapToInt(b -> (int) b.getShape().get(0)).sum();
        timeEngine(engine, batches.subList(0, 1), policy);
        runBaseline(baseline, batches.subList(0, 1));
        Timed engineBest = null;
        BaselinePass baselineBest = null;
        long[] afterWarmup = engine.calls();
        long sourceAfterWarmup = engine.windowSourceCalls();
        for (int r = 0; r < rounds; r++) {
            engineBest = Timed.faster(engineBest, timeEngine(engine, batches, policy));
            BaselinePass base = runBaseline(baseline, batches);
            if (baselineBest == null || base.seconds() < baselineBest.seconds()) {
                baselineBest = base;
            }
        }
        long[] after = engine.calls();
        long[] perRound = new long[after.length];
        for (int s = 0; s < after.length; s++) {
            perRound[s] = (after[s] - afterWarmup[s]) / rounds;
        }
        long sourcePerRound = (engine.windowSourceCalls() - sourceAfterWarmup) / rounds;
        // the baseline's multiply-adds per second inside its forward pass, the yardstick of each stage's network
        double baselineRate = images * (double) baselineMultiplyAdds / baselineBest.forwardSeconds();
        return Result.of(images, (int) batches.get(0).getShape().get(0), images / engineBest.seconds(),
                images / baselineBest.seconds(), engineBest.multiplyAdds() / images, baselineMultiplyAdds, perRound,
                sourcePerRound, StageTimeReport.of(engineBest.span(), engine.costs(), engineBest.seconds(),
                        baselineRate));
    }

    /**
     * Every image through every stage, in chunks of the batch size, after a warm-up pass; where the fastest of {@code
     * rounds} passes spent its time. Each stage runs full batches, so this prices a stage as the engine runs it.
     */
    static StageTimeReport everyStage(EarlyExitEngine engine, List<NDArray> batches, int rounds) {
        timeEngine(engine, batches.subList(0, 1), ExitPolicy.never());
        Timed best = null;
        for (int r = 0; r < rounds; r++) {
            best = Timed.faster(best, timeEngine(engine, batches, ExitPolicy.never()));
        }
        return StageTimeReport.of(best.span(), engine.costs(), best.seconds(), 0);
    }

    /** An engine pass: its seconds, the multiply-adds its predictions spent, and where its time went. */
    private record Timed(double seconds, double multiplyAdds, StageTimes.Snapshot span) {
        static Timed faster(Timed best, Timed next) {
            return best == null || next.seconds() < best.seconds() ? next : best;
        }
    }

    /** A pass of the full network: its seconds, and those inside its forward passes. */
    private record BaselinePass(double seconds, double forwardSeconds) {}

    private static Timed timeEngine(EarlyExitEngine engine, List<NDArray> batches, ExitPolicy policy) {
        engine.useChunks((int) batches.get(0).getShape().get(0));
        try (NDManager scope = batches.get(0).getManager().newSubManager()) {
            NDArray all;
            if (batches.size() == 1) {
                all = batches.get(0);
                all.tempAttach(scope);
            } else {
                all = ai.djl.ndarray.NDArrays.concat(new NDList(batches), 0);
                all.attach(scope);
            }
            StageTimes.Snapshot before = engine.stageTimes().snapshot();
            long start = System.nanoTime();
            List<Prediction> predictions;
            if (engine.chunkSize() == 1) {
                // one image at a time is a lone request, as a server at concurrency 1 runs it: each image alone,
                // so its patch passes also take its next window (free beside the pair a lone image runs as)
                predictions = new java.util.ArrayList<>();
                long n = all.getShape().get(0);
                for (int i = 0; i < n; i++) {
                    predictions.addAll(engine.run(all.get(i + ":" + (i + 1)), policy.from(i)));
                }
            } else {
                predictions = engine.run(all, policy);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Timed(seconds, predictions.stream().mapToDouble(Prediction::multiplyAdds).sum(),
                    engine.stageTimes().snapshot().minus(before));
        }
    }

    private static BaselinePass runBaseline(TorchModule baseline, List<NDArray> batches) {
        long start = System.nanoTime();
        long forward = 0;
        for (NDArray batch : batches) {
            try (NDManager scope = batch.getManager().newSubManager()) {
                batch.tempAttach(scope);
                long pass = System.nanoTime();
                NDArray logits = baseline.forward(new ParameterStore(scope, false), new NDList(batch), false)
                        .singletonOrThrow();
                forward += System.nanoTime() - pass;
                Readout.of(logits); // the engine's per-image read-out: probabilities and the top class
            }
        }
        return new BaselinePass((System.nanoTime() - start) / 1e9, forward / 1e9);
    }
}
