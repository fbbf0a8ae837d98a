package org.anchornet.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where an engine's time goes, stage by stage: the images and batches each stage's network ran, the time inside that
 * network, and the time around it (resizing or cutting the windows, AnchorNet and its window proposal before the first
 * patch, reading the answers out, carrying the survivors to the next stage). The counts only grow; a {@link Snapshot}
 * minus an earlier one gives a span. On a GPU the networks run asynchronously and their time lands in the read-out,
 * the first call that waits for them; on the CPU every call returns when its work is done.
 */
public final class StageTimes {
    /** The parts of a stage's time. */
    public enum Part {
        /** The stage's network (the glance at stage 1, the patch network after). */
        NETWORK,
        /** Resizing the image for the glance, cutting the window for a patch. */
        PREPARE,
        /** AnchorNet's forward pass (before the first patch stage). */
        ANCHORNET,
        /** The class activation map read out and the windows chosen from it. */
        PROPOSAL,
        /** Probabilities and answers read out, exits decided. */
        READOUT,
        /** Images copied in, survivors moved to the next stage, flights merged. */
        CARRY
    }

    private static final Part[] PARTS = Part.values();
    private final LongAdder[][] nanos;
    private final LongAdder[] images;
    private final LongAdder[] batches;

    public StageTimes(int stages) {
        nanos = new LongAdder[stages][PARTS.length];
        images = new LongAdder[stages];
        batches = new LongAdder[stages];
        for (int s = 0; s < stages; s++) {
            images[s] = new LongAdder();
            batches[s] = new LongAdder();
            for (int p = 0; p < PARTS.length; p++) {
                nanos[s][p] = new LongAdder();
            }
        }
    }

    public int stages() {
        return images.length;
    }

    /** Adds time to a part of a 0-based stage. */
    public void add(int stage, Part part, long nanoseconds) {
        nanos[stage][part.ordinal()].add(nanoseconds);
    }

    /** One batch of the stage's network: its images and its time. */
    public void network(int stage, long batchImages, long nanoseconds) {
        images[stage].add(batchImages);
        batches[stage].increment();
        add(stage, Part.NETWORK, nanoseconds);
    }

    /**
     * Images that went through a stage on patch logits computed ahead, in an earlier stage's pass (which holds the
     * time): counted, with no batch and no time.
     */
    public void computedAhead(int stage, long stageImages) {
        images[stage].add(stageImages);
    }

    public Snapshot snapshot() {
        List<Stage> out = new ArrayList<>();
        for (int s = 0; s < images.length; s++) {
            long[] n = new long[PARTS.length];
            for (int p = 0; p < PARTS.length; p++) {
                n[p] = nanos[s][p].sum();
            }
            out.add(new Stage(s + 1, images[s].sum(), batches[s].sum(), n));
        }
        return new Snapshot(out);
    }

    /** The counts at one moment. */
    public record Snapshot(List<Stage> stages) {
        public Snapshot {
            stages = List.copyOf(stages);
        }

        /** What happened since {@code earlier}. */
        public Snapshot minus(Snapshot earlier) {
            List<Stage> out = new ArrayList<>();
            for (int s = 0; s < stages.size(); s++) {
                out.add(stages.get(s).minus(earlier.stages.get(s)));
            }
            return new Snapshot(out);
        }

        /** Nanoseconds in a part, over every stage. */
        public long nanos(Part part) {
            return stages.stream().mapToLong(s -> s.nanos(part)).sum();
        }
    }

    /**
     * One stage's counts.
     *
     * @param stage 1-based (1 = the glance)
     * @param nanos by {@link Part} ordinal
     */
    public record Stage(int stage, long images, long batches, long[] nanos) {
        public Stage {
            nanos = nanos.clone();
        }

        public long nanos(Part part) {
            return nanos[part.ordinal()];
        }

        @Override
        public long[] nanos() {
            return nanos.clone();
        }

        Stage minus(Stage earlier) {
            long[] n = new long[nanos.length];
            for (int p = 0; p < n.length; p++) {
                n[p] = nanos[p] - earlier.nanos[p];
            }
            return new Stage(stage, images - earlier.images, batches - earlier.batches, n);
        }
    }
}
