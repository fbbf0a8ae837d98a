package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BiFunction;
import org.anchornet.engine.StageTimes.Part;
import org.anchornet.exits.Answer;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitThresholds;
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
 * saw, and {@link #stageTimes()} where the time went. Exit tables (every stage of every image), the cascade's
 * thresholds and replays of a table's exits are all policies of this one loop.
 */
public final class EarlyExitEngine {
    private final TorchModule glanceNetwork;
    private final TorchModule patchNetwork;
    private final WindowSource windowSource;
    private final StageCosts costs;
    private final int stages;
    private final int patchSize;
    private final StageTimes times;
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
        this.times = new StageTimes(stages);
    }

    public int stages() {
        return stages;
    }

    public StageCosts costs() {
        return costs;
    }

    /** The same networks looking at other windows (ablations at equal cost); counters start at zero. */
    public EarlyExitEngine withWindows(WindowSource windows) {
        EarlyExitEngine other = new EarlyExitEngine(glanceNetwork, patchNetwork, windows, costs);
        other.useChunks(chunk);
        return other;
    }

    /** The most images a network runs at once. */
    int chunkSize() {
        return chunk;
    }

    /**
     * Runs every network on at most {@code size} images at a time, from now on (this engine changes; {@link
     * Cascade#useChunks} is the public way). Give the engine many images at once with a chunk of the usual batch
     * size, and the later stages still see full batches made of the images left from all of them, instead of a few
     * images per input batch.
     */
    void useChunks(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("chunk size must be positive");
        }
        this.chunk = size;
    }

    /** Images each stage's network has processed so far (stage 1 = the glance). */
    public long[] calls() {
        return times.snapshot().stages().stream().mapToLong(StageTimes.Stage::images).toArray();
    }

    /** Where this engine's time has gone so far, stage by stage. */
    public StageTimes stageTimes() {
        return times;
    }

    /** Images the window source (AnchorNet) has processed so far. */
    public long windowSourceCalls() {
        return windowSourceCalls.get(0);
    }

    /** Classifies an N×3×S×S batch (already preprocessed) under an exit policy. */
    public List<Prediction> run(NDArray images, ExitPolicy policy) {
        int n = (int) images.getShape().get(0);
        Prediction[] out = new Prediction[n];
        Flight<Integer> flight = begin(images, java.util.stream.IntStream.range(0, n).boxed().toList());
        try {
            while (flight.size() > 0) {
                Step<Integer> step = step(flight, policy);
                step.finished().forEach(f -> out[f.tag()] = f.prediction());
                flight = step.survivors();
            }
        } finally {
            flight.close();
        }
        return List.of(out);
    }

    /**
     * Images about to go through the stages, one {@link #step} at a time: the server uses this to answer a request as
     * soon as its image leaves, and to merge the survivors of different requests at the same stage.
     *
     * @param images N×3×S×S, preprocessed; copied, so the caller keeps its array
     * @param tags one per image, handed back with its prediction
     */
    public <T> Flight<T> begin(NDArray images, List<T> tags) {
        if (tags.size() != images.getShape().get(0)) {
            throw new IllegalArgumentException(tags.size() + " tags for " + images.getShape().get(0) + " images");
        }
        long start = System.nanoTime();
        NDManager own = NDManager.newBaseManager(images.getDevice());
        NDArray copy = images.duplicate();
        copy.attach(own);
        times.add(0, Part.CARRY, System.nanoTime() - start);
        List<Trace> traces = new ArrayList<>();
        for (int i = 0; i < tags.size(); i++) {
            traces.add(new Trace());
        }
        int[] ids = java.util.stream.IntStream.range(0, tags.size()).toArray();
        return new Flight<>(own, copy, null, null, 0, ids, tags, traces);
    }

    /** Flights at the same stage as one (e.g. survivors of several requests), closing the parts. */
    public <T> Flight<T> merge(List<Flight<T>> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        int stage = parts.get(0).stage;
        boolean proposed = parts.get(0).proposals != null;
        for (Flight<T> f : parts) {
            if (f.stage != stage || (f.proposals != null) != proposed) {
                throw new IllegalArgumentException("only flights at the same stage merge");
            }
        }
        long start = System.nanoTime();
        NDManager own = NDManager.newBaseManager(parts.get(0).images.getDevice());
        NDArray images = NDArrays.concat(new NDList(parts.stream().map(f -> f.images).toArray(NDArray[]::new)), 0);
        images.attach(own);
        NDArray logits = null;
        if (stage > 0) {
            logits = NDArrays.concat(new NDList(parts.stream().map(f -> f.logits).toArray(NDArray[]::new)), 0);
            logits.attach(own);
        }
        List<Proposals> proposals = new ArrayList<>();
        List<T> tags = new ArrayList<>();
        List<Trace> traces = new ArrayList<>();
        int[] ids = parts.stream().flatMapToInt(f -> Arrays.stream(f.ids)).toArray();
        for (Flight<T> f : parts) {
            if (proposed) {
                proposals.add(f.proposals);
            }
            tags.addAll(f.tags);
            traces.addAll(f.traces);
            f.close();
        }
        times.add(stage, Part.CARRY, System.nanoTime() - start);
        return new Flight<>(own, images, logits, proposed ? Proposals.concat(proposals) : null, stage, ids, tags,
                traces);
    }

    /**
     * Computes the flight's next stage for every image in it: the images the policy lets leave (and every image at
     * the last stage) are finished; the others go on in {@link Step#survivors}. The flight is closed.
     */
    public <T> Step<T> step(Flight<T> flight, ExitPolicy policy) {
        int stage = flight.stage;
        if (stage >= stages) {
            throw new IllegalArgumentException("the flight went through every stage already");
        }
        // Every result attaches to the flight's own manager (DJL attaches to the first operand's): closing the flight
        // frees all of a step's intermediates; the survivors' arrays are moved out first.
        try (Flight<T> done = flight) {
            ParameterStore store = new ParameterStore(done.own, false);
            NDArray logits;
            Proposals proposals = done.proposals;
            if (stage == 0) {
                logits = glance(store, done.images);
            } else {
                if (proposals == null) {
                    proposals = propose(store, done.images, stage);
                    Trace.recordProposals(proposals, done.traces);
                }
                NDArray patchLogits = patch(store, done.images, proposals, stage);
                long start = System.nanoTime();
                Trace.recordWindowOutcomes(patchLogits, done.traces);
                logits = done.logits.add(patchLogits);
                times.add(stage, Part.READOUT, System.nanoTime() - start);
            }
            long start = System.nanoTime();
            int[] stay = recordStage(stage, logits, done.ids, policy, done.traces);
            boolean[] staying = new boolean[done.size()];
            for (int k : stay) {
                staying[k] = true;
            }
            List<Finished<T>> finished = new ArrayList<>();
            for (int k = 0; k < done.size(); k++) {
                if (!staying[k]) {
                    finished.add(new Finished<>(done.tags.get(k), done.traces.get(k).toPrediction(costs)));
                }
            }
            long carry = System.nanoTime();
            times.add(stage, Part.READOUT, carry - start);
            Flight<T> survivors = survivors(done, stay, logits, proposals);
            times.add(stage, Part.CARRY, System.nanoTime() - carry);
            return new Step<>(finished, survivors);
        }
    }

    /** The images of a flight that stay, their arrays moved to a new flight. */
    private <T> Flight<T> survivors(Flight<T> flight, int[] stay, NDArray logits, Proposals proposals) {
        NDManager own = NDManager.newBaseManager(flight.images.getDevice());
        if (stay.length == 0) {
            return new Flight<>(own, null, null, null, flight.stage + 1, new int[0], List.of(), List.of());
        }
        NDArray keptImages = flight.images;
        NDArray keptLogits = logits;
        if (stay.length < flight.size()) {
            NDArray index = flight.own.create(Arrays.stream(stay).asLongStream().toArray());
            keptImages = flight.images.get(new NDIndex("{}", index));
            keptLogits = logits.get(new NDIndex("{}", index));
        }
        keptImages.attach(own);
        keptLogits.attach(own);
        Proposals keptProposals = null;
        if (proposals != null) {
            List<List<Window>> windows = new ArrayList<>();
            List<float[]> cams = new ArrayList<>();
            for (int k : stay) {
                windows.add(proposals.windows().get(k));
                if (proposals.hasCams()) {
                    cams.add(proposals.cams().get(k));
                }
            }
            keptProposals = new Proposals(cams, windows);
        }
        List<T> tags = new ArrayList<>();
        List<Trace> traces = new ArrayList<>();
        int[] ids = new int[stay.length];
        for (int i = 0; i < stay.length; i++) {
            tags.add(flight.tags.get(stay[i]));
            traces.add(flight.traces.get(stay[i]));
            ids[i] = flight.ids[stay[i]];
        }
        return new Flight<>(own, keptImages, keptLogits, keptProposals, flight.stage + 1, ids, tags, traces);
    }

    /** An image that left, with the tag it came with. */
    public record Finished<T>(T tag, Prediction prediction) {}

    /** What a step produced: the images that left, and the flight of those that go on. */
    public record Step<T>(List<Finished<T>> finished, Flight<T> survivors) {}

    /** Stage 1 on every image: the glance network on the whole image resized to the patch size. */
    private NDArray glance(ParameterStore store, NDArray images) {
        return chunked(0, images, (part, from) -> Glance.resize(part, patchSize), glanceNetwork, store);
    }

    /** The window source on the images of a stage, timed as AnchorNet's pass and the proposal around it. */
    private Proposals propose(ParameterStore store, NDArray images, int stage) {
        int n = (int) images.getShape().get(0);
        List<Proposals> parts = new ArrayList<>();
        long start = System.nanoTime();
        long[] network = new long[1];
        for (int from = 0; from < n; from += chunk) {
            int to = Math.min(n, from + chunk);
            parts.add(windowSource.propose(store, to - from == n ? images : images.get(new NDIndex("{}:{}", from,
                    to)), nanos -> network[0] += nanos));
        }
        Proposals out = Proposals.concat(parts);
        times.add(stage, Part.ANCHORNET, network[0]);
        times.add(stage, Part.PROPOSAL, System.nanoTime() - start - network[0]);
        windowSourceCalls.addAndGet(0, n);
        return out;
    }

    /** The patch network's logits on window {@code stage − 1} of every image still in. */
    private NDArray patch(ParameterStore store, NDArray images, Proposals proposals, int stage) {
        List<List<Window>> windows = proposals.windows();
        return chunked(stage, images, (part, from) -> PatchCropper.cropRank(part,
                windows.subList(from, from + (int) part.getShape().get(0)), stage - 1), patchNetwork, store);
    }

    /**
     * Records every image's prediction after a stage, and its answer under the policy's rule, and returns the positions
     * of those that stay.
     */
    private int[] recordStage(int stage, NDArray logits, int[] ids, ExitPolicy policy, List<Trace> traces) {
        Readout r = Readout.of(logits);
        boolean last = stage == stages - 1;
        boolean mostConfident = policy.answer() == Answer.MOST_CONFIDENT;
        int[] stay = new int[ids.length];
        int staying = 0;
        for (int k = 0; k < ids.length; k++) {
            Prediction.StageOutcome outcome = r.outcome(k);
            Trace trace = traces.get(k);
            trace.stages.add(outcome);
            boolean replaces = !mostConfident || trace.answer == null
                    || ExitRule.replacesAnswer(outcome.confidence(), trace.answer.confidence());
            if (replaces) {
                trace.answer = outcome;
            }
            boolean leaves = last || policy.leaves(ids[k], stage, trace.answer.confidence());
            // probabilities are copied only for an answer that leaves now or may leave at a later stage
            if (replaces && (leaves || mostConfident)) {
                trace.probabilities = r.probabilities(k);
            }
            if (!leaves) {
                stay[staying++] = k;
            }
        }
        return Arrays.copyOf(stay, staying);
    }

    /**
     * Applies a stage's network to consecutive slices of at most {@code chunk} images, each prepared first (resized or
     * cut), and concatenates the results; the preparation and the network are timed apart.
     */
    private NDArray chunked(int stage, NDArray input, BiFunction<NDArray, Integer, NDArray> prepare,
            TorchModule network, ParameterStore store) {
        int n = (int) input.getShape().get(0);
        if (n <= chunk) {
            long start = System.nanoTime();
            return timed(stage, prepare.apply(input, 0), network, store, start);
        }
        NDList parts = new NDList();
        for (int from = 0; from < n; from += chunk) {
            long start = System.nanoTime();
            int to = Math.min(n, from + chunk);
            parts.add(timed(stage, prepare.apply(input.get(new NDIndex("{}:{}", from, to)), from), network, store,
                    start));
        }
        long start = System.nanoTime();
        NDArray out = NDArrays.concat(parts, 0);
        times.add(stage, Part.CARRY, System.nanoTime() - start);
        return out;
    }

    /** Runs a network on a prepared slice, timing the preparation (since {@code prepareStart}) and the pass. */
    private NDArray timed(int stage, NDArray prepared, TorchModule network, ParameterStore store, long prepareStart) {
        long start = System.nanoTime();
        times.add(stage, Part.PREPARE, start - prepareStart);
        NDArray logits = network.infer(store, prepared);
        times.network(stage, prepared.getShape().get(0), System.nanoTime() - start);
        return logits;
    }
}
