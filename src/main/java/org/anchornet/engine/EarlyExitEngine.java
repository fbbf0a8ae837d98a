package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BiFunction;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.StageCosts;
import org.anchornet.localize.Glance;
import org.anchornet.localize.PatchCropper;
import org.anchornet.localize.Proposals;
import org.anchornet.localize.Window;
import org.anchornet.localize.WindowSource;
import org.anchornet.model.TorchModule;

/**
 * The stage definition, in one place, run batched: stage 1 is the glance network on every image resized to the patch
 * size; stage j > 1 adds the patch network's logits on window j − 1 to the running sum. After each stage an {@link
 * ExitPolicy} lets images leave; the window source (AnchorNet) then runs only on the images still in, and each later
 * stage only on those. No stage is computed for an image that left; {@link #calls()} counts the images each network
 * saw. Exit tables (every stage of every image), the cascade's thresholds and replays of a table's exits are all
 * policies of this one loop.
 */
public final class EarlyExitEngine {
    /** Decides, after each stage but the last, whether an image leaves; the last stage takes every image still in. */
    @FunctionalInterface
    public interface ExitPolicy {
        /**
         * @param image the image's index in the batch given to {@link #run}
         * @param stage 0-based stage just computed
         * @param confidence max softmax probability of the summed logits after that stage
         */
        boolean leaves(int image, int stage, float confidence);

        /** The {@link ExitRule} with one threshold per stage. */
        static ExitPolicy thresholds(double[] thresholds) {
            double[] t = thresholds.clone();
            return (image, stage, confidence) -> ExitRule.passes(confidence, t[stage]);
        }

        /** Replays given exits: image i leaves after stage {@code exitStages[i]} (1-based). */
        static ExitPolicy exitStages(int[] exitStages) {
            int[] e = exitStages.clone();
            return (image, stage, confidence) -> e[image] <= stage + 1;
        }

        /** Every image goes through every stage (for exit tables). */
        static ExitPolicy never() {
            return (image, stage, confidence) -> false;
        }
    }

    private final TorchModule glanceNetwork;
    private final TorchModule patchNetwork;
    private final WindowSource windowSource;
    private final StageCosts costs;
    private final int stages;
    private final int patchSize;
    private final AtomicLongArray calls;
    private final AtomicLongArray windowSourceCalls = new AtomicLongArray(1);
    private volatile int chunk = Integer.MAX_VALUE;

    /**
     * @param costs multiply-adds of leaving after each stage; as many stages as the window source proposes windows,
     *     plus the glance
     */
    public EarlyExitEngine(TorchModule glanceNetwork, TorchModule patchNetwork, WindowSource windowSource,
            StageCosts costs) {
        this.stages = windowSource.proposer().topK() + 1;
        if (costs.stages() != stages) {
            throw new IllegalArgumentException(costs.stages() + " stage costs for " + stages + " stages (the glance"
                    + " and " + (stages - 1) + " windows)");
        }
        this.glanceNetwork = glanceNetwork;
        this.patchNetwork = patchNetwork;
        this.windowSource = windowSource;
        this.costs = costs;
        this.patchSize = windowSource.proposer().patchSize();
        this.calls = new AtomicLongArray(stages);
    }

    public int stages() {
        return stages;
    }

    public StageCosts costs() {
        return costs;
    }

    /** The same networks looking at other windows (ablations at equal cost); counters start at zero. */
    public EarlyExitEngine withWindows(WindowSource windows) {
        return new EarlyExitEngine(glanceNetwork, patchNetwork, windows, costs).withChunk(chunk);
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

    /** Images the window source (AnchorNet) has processed so far. */
    public long windowSourceCalls() {
        return windowSourceCalls.get(0);
    }

    /** Classifies an N×3×S×S batch (already preprocessed) under an exit policy. */
    public List<Prediction> run(NDArray images, ExitPolicy policy) {
        int n = (int) images.getShape().get(0);
        Trace[] traces = new Trace[n];
        for (int i = 0; i < n; i++) {
            traces[i] = new Trace();
        }
        try (NDManager scope = images.getManager().newSubManager()) {
            // Everything computed from the batch attaches to the batch's manager; borrowing the batch into this scope
            // frees all of it when the call returns (the batch itself goes back to its owner).
            images.tempAttach(scope);
            ParameterStore store = new ParameterStore(scope, false);
            Survivors in = new Survivors(images, glance(store, images));
            for (int stage = 0; ; stage++) {
                if (stage > 0) {
                    if (in.proposals == null) {
                        in.proposals = propose(store, in.images);
                        recordProposals(in, traces);
                    }
                    NDArray patchLogits = patch(store, in, stage - 1);
                    recordWindowOutcomes(patchLogits, in.active, traces);
                    in.logits = in.logits.add(patchLogits);
                    calls.addAndGet(stage, in.active.length);
                }
                int[] stay = recordStage(stage, in, policy, traces);
                if (stay.length == 0) {
                    break;
                }
                if (stay.length < in.active.length) {
                    in = in.keep(stay, scope);
                }
            }
        }
        List<Prediction> out = new ArrayList<>(n);
        for (Trace t : traces) {
            out.add(t.toPrediction(costs));
        }
        return out;
    }

    /** Stage 1 on every image: the glance network on the whole image resized to the patch size. */
    private NDArray glance(ParameterStore store, NDArray images) {
        NDArray logits = chunked(images, (part, from) -> glanceNetwork.forward(store,
                new NDList(Glance.resize(part, patchSize)), false).singletonOrThrow());
        calls.addAndGet(0, images.getShape().get(0));
        return logits;
    }

    private Proposals propose(ParameterStore store, NDArray images) {
        int n = (int) images.getShape().get(0);
        List<Proposals> parts = new ArrayList<>();
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            parts.add(windowSource.propose(store, to - from == n ? images : images.get(new NDIndex("{}:{}", from,
                    to))));
        }
        windowSourceCalls.addAndGet(0, n);
        return Proposals.concat(parts);
    }

    /** The patch network's logits on window {@code rank} of every image still in. */
    private NDArray patch(ParameterStore store, Survivors in, int rank) {
        List<List<Window>> windows = in.proposals.windows();
        return chunked(in.images, (part, from) -> patchNetwork.forward(store, new NDList(PatchCropper.cropRank(part,
                windows.subList(from, from + (int) part.getShape().get(0)), rank)), false).singletonOrThrow());
    }

    private static void recordProposals(Survivors in, Trace[] traces) {
        for (int k = 0; k < in.active.length; k++) {
            Trace t = traces[in.active[k]];
            t.windows = in.proposals.windows().get(k);
            t.cam = in.proposals.hasCams() ? in.proposals.cams().get(k) : null;
        }
    }

    private static void recordWindowOutcomes(NDArray patchLogits, int[] active, Trace[] traces) {
        Readout r = Readout.of(patchLogits);
        for (int k = 0; k < active.length; k++) {
            traces[active[k]].windowOutcomes.add(r.outcome(k));
        }
    }

    /** Records every image's prediction after a stage and returns the positions (in {@code in}) of those that stay. */
    private int[] recordStage(int stage, Survivors in, ExitPolicy policy, Trace[] traces) {
        Readout r = Readout.of(in.logits);
        boolean last = stage == stages - 1;
        int[] stay = new int[in.active.length];
        int staying = 0;
        for (int k = 0; k < in.active.length; k++) {
            int image = in.active[k];
            Prediction.StageOutcome outcome = r.outcome(k);
            traces[image].stages.add(outcome);
            if (last || policy.leaves(image, stage, outcome.confidence())) {
                traces[image].probabilities = r.probabilities(k);
            } else {
                stay[staying++] = k;
            }
        }
        return Arrays.copyOf(stay, staying);
    }

    /** Applies a network to consecutive slices of at most {@code chunk} images and concatenates the results. */
    private NDArray chunked(NDArray input, BiFunction<NDArray, Integer, NDArray> network) {
        int n = (int) input.getShape().get(0);
        if (n <= chunk) {
            return network.apply(input, 0);
        }
        NDList parts = new NDList();
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            parts.add(network.apply(input.get(new NDIndex("{}:{}", from, to)), from));
        }
        return NDArrays.concat(parts, 0);
    }

    /** The images still in: their input, running logits and proposals, and which image of the batch each is. */
    private static final class Survivors {
        NDArray images;
        NDArray logits;
        Proposals proposals;
        int[] active;

        Survivors(NDArray images, NDArray logits) {
            this.images = images;
            this.logits = logits;
            this.active = new int[(int) images.getShape().get(0)];
            Arrays.setAll(active, i -> i);
        }

        /** Only the survivors at the given positions. */
        Survivors keep(int[] positions, NDManager scope) {
            NDArray index = scope.create(Arrays.stream(positions).asLongStream().toArray());
            Survivors next = new Survivors(images.get(new NDIndex("{}", index)), logits.get(new NDIndex("{}", index)));
            next.active = Arrays.stream(positions).map(k -> active[k]).toArray();
            if (proposals != null) {
                List<List<Window>> windows = new ArrayList<>();
                List<float[]> cams = new ArrayList<>();
                for (int k : positions) {
                    windows.add(proposals.windows().get(k));
                    if (proposals.hasCams()) {
                        cams.add(proposals.cams().get(k));
                    }
                }
                next.proposals = new Proposals(cams, windows);
            }
            return next;
        }
    }

    /** Softmax probabilities and top classes of a batch of logits, read once. */
    private record Readout(float[] probabilities, long[] top, int classes) {
        static Readout of(NDArray logits) {
            try (NDArray probs = logits.softmax(1); NDArray top = logits.argMax(1)) {
                return new Readout(probs.toFloatArray(), top.toType(DataType.INT64, false).toLongArray(),
                        (int) logits.getShape().get(1));
            }
        }

        Prediction.StageOutcome outcome(int k) {
            int c = (int) top[k];
            return new Prediction.StageOutcome(c, probabilities[k * classes + c]);
        }

        float[] probabilities(int k) {
            return Arrays.copyOfRange(probabilities, k * classes, (k + 1) * classes);
        }
    }

    /** What one image went through, filled stage by stage. */
    private static final class Trace {
        final List<Prediction.StageOutcome> stages = new ArrayList<>();
        final List<Prediction.StageOutcome> windowOutcomes = new ArrayList<>();
        List<Window> windows = List.of();
        float[] cam;
        float[] probabilities;

        Prediction toPrediction(StageCosts costs) {
            Prediction.StageOutcome exit = stages.get(stages.size() - 1);
            return new Prediction(exit.predicted(), exit.confidence(), stages.size(), probabilities, stages, windows,
                    windowOutcomes, cam, costs.stage(stages.size() - 1));
        }
    }
}
