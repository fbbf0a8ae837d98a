package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.anchornet.localize.Proposals;

/**
 * Images between stages: their input, their running logits, the windows proposed for them, and what each went
 * through so far. Owns its arrays; {@link EarlyExitEngine#step} and {@link EarlyExitEngine#merge} close
 * it.
 */
public final class Flight<T> implements AutoCloseable {
    final NDManager own;
    final NDArray images;
    final NDArray logits;
    final Proposals proposals;
    final int stage;
    final int[] ids;
    final List<T> tags;
    final List<Trace> traces;

    Flight(NDManager own, NDArray images, NDArray logits, Proposals proposals, int stage, int[] ids,
            List<T> tags, List<Trace> traces) {
        this.own = own;
        this.images = images;
        this.logits = logits;
        this.proposals = proposals;
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

    @Override
    public void close() {
        own.close();
    }
}
