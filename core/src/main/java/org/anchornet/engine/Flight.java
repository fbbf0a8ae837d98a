package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.anchornet.localize.Proposals;
import org.anchornet.localize.Window;

/**
 * Images between stages: their input, their running logits, the windows proposed for them, the patch logits of
 * their next stages when computed ahead, and what each went through so far. Owns its arrays; {@link
 * EarlyExitEngine#step} and {@link EarlyExitEngine#merge} close it.
 */
public final class Flight<T> implements AutoCloseable {
    final NDManager own;
    final NDArray images;
    final NDArray logits;
    final Proposals proposals;
    /** The patch network's logits for the windows of this flight's next stages, already computed; often none. */
    final List<NDArray> ahead;
    final int stage;
    final int[] ids;
    final List<T> tags;
    final List<Trace> traces;

    Flight(NDManager own, NDArray images, NDArray logits, Proposals proposals, List<NDArray> ahead, int stage,
            int[] ids, List<T> tags, List<Trace> traces) {
        this.own = own;
        this.images = images;
        this.logits = logits;
        this.proposals = proposals;
        this.ahead = List.copyOf(ahead);
        this.stage = stage;
        this.ids = ids;
        this.tags = tags;
        this.traces = traces;
    }

    public int size() {
        return ids.length;
    }

    /** The stage (0-based) this flight's images go through next. */
    public int stage() {
        return stage;
    }

    public List<T> tags() {
        return List.copyOf(tags);
    }

    /** How many of the next stages need no pass of the patch network: their logits were computed ahead. */
    public int stagesAhead() {
        return ahead.size();
    }

    /**
     * Flights at the same stage as one, closing the parts. Logits computed ahead are kept for the stages every part
     * has them for.
     */
    static <T> Flight<T> concat(List<Flight<T>> parts) {
        int stage = parts.get(0).stage;
        boolean proposed = parts.get(0).proposals != null;
        for (Flight<T> f : parts) {
            if (f.stage != stage || (f.proposals != null) != proposed) {
                throw new IllegalArgumentException("only flights at the same stage merge");
            }
        }
        NDManager merged = NDManager.newBaseManager(parts.get(0).images.getDevice());
        NDArray images = NDArrays.concat(new NDList(parts.stream().map(f -> f.images).toArray(NDArray[]::new)), 0);
        images.attach(merged);
        NDArray logits = null;
        if (stage > 0) {
            logits = NDArrays.concat(new NDList(parts.stream().map(f -> f.logits).toArray(NDArray[]::new)), 0);
            logits.attach(merged);
        }
        int depth = parts.stream().mapToInt(Flight::stagesAhead).min().orElse(0);
        List<NDArray> ahead = new ArrayList<>();
        for (int d = 0; d < depth; d++) {
            final int at = d;
            NDArray joined = NDArrays.concat(new NDList(parts.stream().map(f -> f.ahead.get(at))
                    .toArray(NDArray[]::new)), 0);
            joined.attach(merged);
            ahead.add(joined);
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
        return new Flight<>(merged, images, logits, proposed ? Proposals.concat(proposals) : null, ahead, stage, ids,
                tags, traces);
    }

    /**
     * The images at positions {@code stay} going on to the next stage with their running {@code logits}, windows and
     * the patch logits computed {@code ahead} for the stages after this one, their arrays moved to a new flight (this
     * one is closed by its step).
     */
    Flight<T> keep(int[] stay, NDArray logits, Proposals kept, List<NDArray> ahead) {
        NDManager next = NDManager.newBaseManager(images.getDevice());
        if (stay.length == 0) {
            return new Flight<>(next, null, null, null, List.of(), stage + 1, new int[0], List.of(), List.of());
        }
        NDArray keptImages = images;
        NDArray keptLogits = logits;
        List<NDArray> keptAhead = new ArrayList<>(ahead);
        if (stay.length < size()) {
            NDArray index = own.create(Arrays.stream(stay).asLongStream().toArray());
            keptImages = images.get(new NDIndex("{}", index));
            keptLogits = logits.get(new NDIndex("{}", index));
            keptAhead.replaceAll(a -> a.get(new NDIndex("{}", index)));
        }
        keptImages.attach(next);
        keptLogits.attach(next);
        keptAhead.forEach(a -> a.attach(next));
        Proposals keptProposals = null;
        if (kept != null) {
            List<List<Window>> windows = new ArrayList<>();
            List<float[]> cams = new ArrayList<>();
            for (int k : stay) {
                windows.add(kept.windows().get(k));
                if (kept.hasCams()) {
                    cams.add(kept.cams().get(k));
                }
            }
            keptProposals = new Proposals(cams, windows);
        }
        List<T> keptTags = new ArrayList<>();
        List<Trace> keptTraces = new ArrayList<>();
        int[] keptIds = new int[stay.length];
        for (int i = 0; i < stay.length; i++) {
            keptTags.add(tags.get(stay[i]));
            keptTraces.add(traces.get(stay[i]));
            keptIds[i] = ids[stay[i]];
        }
        return new Flight<>(next, keptImages, keptLogits, keptProposals, keptAhead, stage + 1, keptIds, keptTags,
                keptTraces);
    }

    @Override
    public void close() {
        own.close();
    }
}
