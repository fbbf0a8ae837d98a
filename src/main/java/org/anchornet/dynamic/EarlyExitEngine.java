package org.anchornet.dynamic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntPredicate;
import org.anchornet.localize.Glance;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchCropper;
import org.anchornet.model.ReceptiveField.Window;
import org.anchornet.model.TorchModule;

/**
 * Early exit for real, batched: stage 1 runs the resized-image network on every image's glance; images whose
 * confidence passes the stage's threshold leave; AnchorNet then runs only on the images still in, and each later stage
 * runs the patch network only on the next patch of the images still in, adding logits. No stage is computed for an
 * image that already left; {@link #calls()} counts the images each network saw per stage, which tests and the benchmark
 * check against the exits.
 */
public final class EarlyExitEngine {
    /** What the engine decided for one image. */
    public record Decision(int predicted, float confidence, int exitStage, List<Window> windows, float[] probabilities,
            int[] stagePredictions) {}

    private final TorchModule resizedNetwork;
    private final TorchModule patchNetwork;
    private final Localizer localizer;
    private final double[] thresholds;
    private final int patchSize;
    private final AtomicLongArray calls;
    private final AtomicLongArray anchorCalls = new AtomicLongArray(1);
    private int chunk = Integer.MAX_VALUE;

    /**
     * @param thresholds one per stage (top-k + 1); the last stage takes every image still in whatever its value
     */
    public EarlyExitEngine(TorchModule resizedNetwork, TorchModule patchNetwork, Localizer localizer,
            double[] thresholds) {
        int stages = localizer.proposer().topK() + 1;
        if (thresholds.length != stages) {
            throw new IllegalArgumentException(thresholds.length + " thresholds for " + stages + " stages (the glance"
                    + " and " + (stages - 1) + " patches)");
        }
        this.resizedNetwork = resizedNetwork;
        this.patchNetwork = patchNetwork;
        this.localizer = localizer;
        this.thresholds = thresholds.clone();
        this.patchSize = localizer.proposer().patchSize();
        this.calls = new AtomicLongArray(stages);
    }

    public int stages() {
        return thresholds.length;
    }

    /**
     * Runs every network on at most {@code size} images at a time. Give the engine many images at once with a chunk
     * of the usual batch size, and the later stages still see full batches made of the images left from all of them,
     * instead of a few images per input batch.
     */
    public EarlyExitEngine withChunk(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("chunk size must be positive");
        }
        this.chunk = size;
        return this;
    }

    /** Images each stage's network has processed so far (stage 1 = the glance). */
    public long[] calls() {
        long[] out = new long[calls.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = calls.get(i);
        }
        return out;
    }

    /** Images AnchorNet has processed so far. */
    public long anchorNetCalls() {
        return anchorCalls.get(0);
    }

    /** Classifies an N×3×S×S batch. */
    public List<Decision> classify(NDArray images) {
        return run(images, null);
    }

    /**
     * Replays given exit stages instead of thresholds (for measuring speed at an operating point taken from a table):
     * image i leaves after stage {@code exitStages[i]} (1-based).
     */
    public List<Decision> replay(NDArray images, int[] exitStages) {
        return run(images, exitStages);
    }

    private List<Decision> run(NDArray images, int[] forcedExit) {
        int n = (int) images.getShape().get(0);
        Decision[] decisions = new Decision[n];
        int[][] stagePredictions = new int[n][];
        NDManager manager = images.getManager();
        try (NDManager scope = manager.newSubManager()) {
            // Everything computed from the batch attaches to the batch's manager; borrowing the batch into this scope
            // frees all of it when the call returns (the batch itself goes back to its owner).
            images.tempAttach(scope);
            ParameterStore store = new ParameterStore(scope, false);
            int[] active = new int[n];
            for (int i = 0; i < n; i++) {
                active[i] = i;
                stagePredictions[i] = new int[0];
            }
            NDArray sum = chunked(images, part -> resizedNetwork.forward(store,
                    new NDList(Glance.resize(part, patchSize)), false).singletonOrThrow());
            calls.addAndGet(0, n);
            NDArray current = images;
            List<List<Window>> windows = null;
            for (int stage = 0; stage < stages(); stage++) {
                if (stage > 0) {
                    if (windows == null) {
                        List<List<Window>> found = new ArrayList<>();
                        NDArray input = current;
                        for (int from = 0; from < active.length; from += chunk) {
                            int to = Math.min(active.length, from + chunk);
                            NDArray part = to - from == active.length ? input
                                    : input.get(new NDIndex("{}:{}", from, to));
                            found.addAll(localizer.localize(store, part).windows());
                        }
                        windows = found;
                        anchorCalls.addAndGet(0, active.length);
                    }
                    final List<List<Window>> w = windows;
                    final int rank = stage - 1;
                    NDArray logits = chunkedWithOffset(current, (part, from) -> patchNetwork.forward(store,
                            new NDList(PatchCropper.cropRank(part, w.subList(from, from + (int) part.getShape().get(0)),
                                    rank)), false).singletonOrThrow());
                    calls.addAndGet(stage, active.length);
                    sum = sum.add(logits);
                }
                NDArray probs = sum.softmax(1);
                float[] p = probs.toFloatArray();
                int classes = (int) probs.getShape().get(1);
                long[] top = sum.argMax(1).toType(DataType.INT64, false).toLongArray();
                boolean last = stage == stages() - 1;
                final int s = stage;
                final int[] act = active;
                IntPredicate leaves = k -> last || (forcedExit != null ? forcedExit[act[k]] <= s + 1
                        : p[k * classes + (int) top[k]] > thresholds[s]);
                List<Integer> stay = new ArrayList<>();
                for (int k = 0; k < active.length; k++) {
                    int image = active[k];
                    int[] history = Arrays.copyOf(stagePredictions[image], stage + 1);
                    history[stage] = (int) top[k];
                    stagePredictions[image] = history;
                    if (leaves.test(k)) {
                        decisions[image] = new Decision((int) top[k], p[k * classes + (int) top[k]], stage + 1,
                                windows == null ? List.of() : List.copyOf(windows.get(k).subList(0, stage)),
                                Arrays.copyOfRange(p, k * classes, (k + 1) * classes), history);
                    } else {
                        stay.add(k);
                    }
                }
                if (stay.isEmpty()) {
                    break;
                }
                if (stay.size() < active.length) {
                    // Keep only the images still in: their input, running logits and windows.
                    long[] keep = stay.stream().mapToLong(Integer::longValue).toArray();
                    NDArray index = scope.create(keep);
                    current = current.get(new NDIndex("{}", index));
                    sum = sum.get(new NDIndex("{}", index));
                    if (windows != null) {
                        List<List<Window>> kept = new ArrayList<>();
                        for (int k : stay) {
                            kept.add(windows.get(k));
                        }
                        windows = kept;
                    }
                    int[] next = new int[stay.size()];
                    for (int k = 0; k < next.length; k++) {
                        next[k] = active[stay.get(k)];
                    }
                    active = next;
                }
            }
        }
        return List.of(decisions);
    }

    private NDArray chunked(NDArray input, java.util.function.Function<NDArray, NDArray> network) {
        return chunkedWithOffset(input, (part, from) -> network.apply(part));
    }

    /** Applies a network to consecutive slices of at most {@code chunk} images and concatenates the results. */
    private NDArray chunkedWithOffset(NDArray input, java.util.function.BiFunction<NDArray, Integer, NDArray> network) {
        int n = (int) input.getShape().get(0);
        if (n <= chunk) {
            return network.apply(input, 0);
        }
        NDList parts = new NDList();
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            parts.add(network.apply(input.get(new NDIndex("{}:{}", from, to)), from));
        }
        return ai.djl.ndarray.NDArrays.concat(parts, 0);
    }
}
