package org.anchornet.engine;

import com.google.gson.annotations.SerializedName;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.anchornet.engine.StageTimes.Part;
import org.anchornet.exits.StageCosts;

/**
 * Where a timed engine run's time went, in the figures {@code bench} prints and writes: per stage, the images and
 * batches its network ran, milliseconds per image in and around it, and the multiply-adds per second its network
 * reached beside the full-resolution network's in the same run (the share says how much of a stage's arithmetic
 * saving can become time); and, over the run, the seconds in each {@link Part} and those no part accounts for.
 *
 * @param baselineMultiplyAddsPerSecond the full-resolution network's, timed around its forward pass only
 */
public record StageTimeReport(
        List<Stage> stages,
        @SerializedName("engine_seconds") double engineSeconds,
        @SerializedName("seconds_by_part") java.util.Map<String, Double> secondsByPart,
        @SerializedName("outside_networks_share") double outsideNetworksShare,
        @SerializedName("baseline_multiply_adds_per_s") double baselineMultiplyAddsPerSecond) {

    /**
     * One stage. Times are per image the stage ran on; the AnchorNet and proposal figures are set on the first patch
     * stage only, where the window source runs.
     *
     * @param networkShareOfBaseline the stage network's multiply-adds per second over the full network's
     */
    public record Stage(int stage, long images, long batches,
            @SerializedName("mean_batch_images") double meanBatchImages,
            @SerializedName("network_ms_per_image") double networkMs,
            @SerializedName("network_multiply_adds_per_s") double networkMultiplyAddsPerSecond,
            @SerializedName("network_share_of_baseline_rate") double networkShareOfBaseline,
            @SerializedName("prepare_ms_per_image") double prepareMs,
            @SerializedName("anchornet_ms_per_image") Double anchorNetMs,
            @SerializedName("anchornet_multiply_adds_per_s") Double anchorNetMultiplyAddsPerSecond,
            @SerializedName("proposal_ms_per_image") Double proposalMs,
            @SerializedName("readout_ms_per_image") double readoutMs,
            @SerializedName("carry_ms_per_image") double carryMs) {
        /** Milliseconds per image around the stage's network and AnchorNet: preparing, proposing, reading, carrying. */
        public double aroundMs() {
            return prepareMs + (proposalMs == null ? 0 : proposalMs) + readoutMs + carryMs;
        }

        /** Milliseconds per image the stage costs in all: its network, AnchorNet's pass if it runs here, and around. */
        public double totalMs() {
            return networkMs + (anchorNetMs == null ? 0 : anchorNetMs) + aroundMs();
        }
    }

    /**
     * @param times the span of the timed run
     * @param costs the cascade's stage costs (j downstream passes, plus AnchorNet from stage 2 on)
     * @param engineSeconds the run's wall time
     */
    public static StageTimeReport of(StageTimes.Snapshot times, StageCosts costs, double engineSeconds,
            double baselineMultiplyAddsPerSecond) {
        long downstream = costs.stage(0);
        long anchorNet = costs.stages() > 1 ? costs.stage(1) - 2 * downstream : 0;
        List<Stage> stages = new ArrayList<>();
        for (StageTimes.Stage s : times.stages()) {
            double n = Math.max(1, s.images());
            double networkSeconds = s.nanos(Part.NETWORK) / 1e9;
            double rate = networkSeconds > 0 ? s.images() * (double) downstream / networkSeconds : 0;
            boolean windows = s.nanos(Part.ANCHORNET) > 0 || s.nanos(Part.PROPOSAL) > 0;
            double anchorSeconds = s.nanos(Part.ANCHORNET) / 1e9;
            stages.add(new Stage(s.stage(), s.images(), s.batches(),
                    s.batches() == 0 ? 0 : s.images() / (double) s.batches(), 1e3 * networkSeconds / n, rate,
                    baselineMultiplyAddsPerSecond > 0 ? rate / baselineMultiplyAddsPerSecond : 0,
                    s.nanos(Part.PREPARE) / 1e6 / n,
                    windows ? 1e3 * anchorSeconds / n : null,
                    windows && anchorSeconds > 0 ? s.images() * (double) anchorNet / anchorSeconds : null,
                    windows ? s.nanos(Part.PROPOSAL) / 1e6 / n : null,
                    s.nanos(Part.READOUT) / 1e6 / n, s.nanos(Part.CARRY) / 1e6 / n));
        }
        java.util.Map<String, Double> byPart = new java.util.LinkedHashMap<>();
        double accounted = 0;
        for (Part p : Part.values()) {
            double seconds = times.nanos(p) / 1e9;
            byPart.put(p.name().toLowerCase(Locale.ROOT), seconds);
            accounted += seconds;
        }
        byPart.put("unaccounted", Math.max(0, engineSeconds - accounted));
        double inNetworks = (times.nanos(Part.NETWORK) + times.nanos(Part.ANCHORNET)) / 1e9;
        return new StageTimeReport(stages, engineSeconds, byPart,
                engineSeconds > 0 ? Math.max(0, 1 - inNetworks / engineSeconds) : 0, baselineMultiplyAddsPerSecond);
    }
}
