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
import org.anchornet.exits.StageCosts;
import org.anchornet.localize.Glance;
import org.anchornet.localize.Proposals;
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

    /**
     * Images each stage has processed so far (stage 1 = the glance); an image whose window was computed ahead counts at
     * the stage that used it (see {@link #stepTogether(List, ExitPolicy, int)}).
     */
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
        return new Flight<>(own, copy, null, null, List.of(), 0, ids, tags, traces);
    }

    /** Flights at the same stage as one (e.g. survivors of several requests), closing the parts. */
    public <T> Flight<T> merge(List<Flight<T>> parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        long start = System.nanoTime();
        Flight<T> merged = Flight.concat(parts);
        times.add(merged.stage, Part.CARRY, System.nanoTime() - start);
        return merged;
    }

    /**
     * Computes the flight's next stage for every image in it: the images the policy lets leave (and every image at
     * the last stage) are finished; the others go on in {@link Step#survivors}. The flight is closed.
     */
    public <T> Step<T> step(Flight<T> flight, ExitPolicy policy) {
        return stepTogether(List.of(flight), policy).get(0);
    }

    /**
     * {@link #step} for several flights at once, each closed, their steps in the same order. Every flight past the
     * glance needs the patch network on one window per image (its own rank), so they all run it as one pass: a
     * server whose later stages hold a few images each then runs one batch of all of them, as fast per image as
     * the offline engine's full batches, instead of one short batch per stage.
     */
    public <T> List<Step<T>> stepTogether(List<Flight<T>> flights, ExitPolicy policy) {
        return stepTogether(flights, policy, 1);
    }

    /**
     * {@link #stepTogether} where each image in the pass also gets the logits of its next {@code runAhead − 1}
     * windows, kept with it so that the next stages need no pass: fewer, fuller passes for a lone request, at the
     * cost of windows an image may leave before needing. A pass of one image always takes its next window too, free
     * (see {@link PatchPass#width}). Answers are those of {@link #step}.
     */
    public <T> List<Step<T>> stepTogether(List<Flight<T>> flights, ExitPolicy policy, int runAhead) {
        if (runAhead < 1) {
            throw new IllegalArgumentException("run-ahead must be at least 1 window, not " + runAhead);
        }
        // Every result attaches to the first operand's manager, here a flight's own: closing the flights frees all
        // of a step's intermediates; the survivors' arrays are moved out first.
        try {
            int n = flights.size();
            NDArray[] stageLogits = new NDArray[n];
            Proposals[] windows = new Proposals[n];
            List<List<NDArray>> ahead = new ArrayList<>(java.util.Collections.<List<NDArray>>nCopies(n, List.of()));
            List<Integer> pass = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Flight<T> f = flights.get(i);
                if (f.stage >= stages) {
                    throw new IllegalArgumentException("the flight went through every stage already");
                }
                ParameterStore store = new ParameterStore(f.own, false);
                if (f.stage == 0) {
                    stageLogits[i] = glance(store, f.images);
                    continue;
                }
                windows[i] = f.proposals;
                if (windows[i] == null) {
                    windows[i] = propose(store, f.images, f.stage);
                    Trace.recordProposals(windows[i], f.traces);
                }
                if (needsPass(f)) {
                    pass.add(i);
                } else {
                    times.computedAhead(f.stage, f.size());
                    stageLogits[i] = f.ahead.get(0);
                    ahead.set(i, f.ahead.subList(1, f.ahead.size()));
                }
            }
            patchPass(flights, windows, pass, runAhead, stageLogits, ahead);
            List<Step<T>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(finish(flights.get(i), stageLogits[i], windows[i], ahead.get(i), policy));
            }
            return out;
        } finally {
            flights.forEach(Flight::close);
        }
    }

    /** Images the patch network runs on when these flights step together: see {@link #stepTogether}. */
    public int patchImages(List<? extends Flight<?>> flights, int runAhead) {
        List<? extends Flight<?>> needing = flights.stream().filter(EarlyExitEngine::needsPass).toList();
        int images = needing.stream().mapToInt(Flight::size).sum();
        return needing.stream().mapToInt(f -> f.size() * PatchPass.width(f.stage, stages, runAhead, images)).sum();
    }

    /** Past the glance, with no patch logits computed ahead for its stage. */
    private static boolean needsPass(Flight<?> f) {
        return f.stage > 0 && f.ahead.isEmpty();
    }

    /** The patch network on the flights at positions {@code pass}: this stage's logits, and those run ahead. */
    private <T> void patchPass(List<Flight<T>> flights, Proposals[] windows, List<Integer> pass, int runAhead,
            NDArray[] stageLogits, List<List<NDArray>> ahead) {
        if (pass.isEmpty()) {
            return;
        }
        List<Flight<T>> running = pass.stream().map(flights::get).toList();
        int images = running.stream().mapToInt(Flight::size).sum();
        int[] widths = running.stream().mapToInt(f -> PatchPass.width(f.stage, stages, runAhead, images)).toArray();
        // a chunk bounds the images per call; an image's windows computed ahead go with it
        int perCall = (int) Math.min(Integer.MAX_VALUE, (long) chunk * Arrays.stream(widths).max().orElse(1));
        List<List<NDArray>> logits = PatchPass.run(running, pass.stream().map(i -> windows[i]).toList(), widths,
                patchNetwork, perCall, times);
        for (int j = 0; j < pass.size(); j++) {
            stageLogits[pass.get(j)] = logits.get(j).get(0);
            ahead.set(pass.get(j), logits.get(j).subList(1, widths[j]));
        }
    }

    /** The rest of a step once the stage's network has run: the running sum, exits, and the survivors. */
    private <T> Step<T> finish(Flight<T> done, NDArray stageLogits, Proposals proposals, List<NDArray> ahead,
            ExitPolicy policy) {
        int stage = done.stage;
        NDArray logits = stageLogits;
        if (stage > 0) {
            long start = System.nanoTime();
            Trace.recordWindowOutcomes(stageLogits, done.traces);
            logits = done.logits.add(stageLogits);
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
        Flight<T> survivors = done.keep(stay, logits, proposals, ahead);
        times.add(stage, Part.CARRY, System.nanoTime() - carry);
        return new Step<>(finished, survivors);
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
