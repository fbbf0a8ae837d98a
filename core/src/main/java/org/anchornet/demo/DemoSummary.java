package org.anchornet.demo;

import com.google.gson.annotations.SerializedName;
import java.util.List;
import java.util.Map;
import org.anchornet.engine.EngineBenchmark;

/**
 * What one run of the demo measured, as {@code summary.json} stores it. Accuracies are test top-1 in [0, 1]; costs
 * are mean billions of multiply-adds per image.
 *
 * @param baseline the full-resolution network
 * @param glance the glance network alone (every image leaves after stage 1)
 * @param resolutions the resolution-scaled baselines, smallest first, including the glance size and the canvas
 * @param earlyExit per window source ({@code anchornet}, {@code random}, {@code centre}): thresholds fit on validation
 *     under the budget, scored on test
 * @param frontier per window source, thresholds fit on validation for a sweep of budgets, scored on test
 * @param bench the engine timed against the baseline in a fresh process (null when not timed)
 * @param stepSeconds time of each step: its wall time, or for a step resumed from checkpoints its networks' recorded
 *     epoch times if longer (builds before e5eb568 recorded only the last process's wall time)
 * @param seconds the run's time: this process's wall time, or the sum of the steps' times if longer
 * @param data what the run's images were (counts, and what test figures were scored on); null in runs before
 *     2026-12-07, which were all on generated canvases
 */
public record DemoSummary(
        DemoSettings settings,
        String cpu,
        Point baseline,
        Point glance,
        List<Resolution> resolutions,
        @SerializedName("budget_gmacs") double budgetGmacs,
        @SerializedName("stage_costs_gmacs") double[] stageCostsGmacs,
        @SerializedName("early_exit") Map<String, Method> earlyExit,
        Map<String, List<FrontierPoint>> frontier,
        EngineBenchmark.Result bench,
        @SerializedName("step_seconds") Map<String, Double> stepSeconds,
        double seconds,
        com.google.gson.JsonObject data) {

    /** An accuracy at a cost. */
    public record Point(@SerializedName("test_top1") double testTop1, double gmacs) {}

    /** A resolution-scaled baseline: the downstream network fine-tuned and tested at this input side. */
    public record Resolution(int side, @SerializedName("test_top1") double testTop1, double gmacs) {}

    /**
     * Early exit with one window source.
     *
     * @param testTop1AtStage top-1 if every test image left after stage j: the equal-cost comparison of sources
     */
    public record Method(
            List<Double> thresholds,
            @SerializedName("val_top1") double valTop1,
            @SerializedName("val_gmacs") double valGmacs,
            @SerializedName("test_top1") double testTop1,
            @SerializedName("test_gmacs") double testGmacs,
            @SerializedName("test_exits_per_stage") int[] testExitsPerStage,
            @SerializedName("test_top1_at_stage") double[] testTop1AtStage) {}

    /** One budget of a sweep. */
    public record FrontierPoint(@SerializedName("budget_gmacs") double budgetGmacs,
            @SerializedName("val_top1") double valTop1, @SerializedName("test_top1") double testTop1,
            @SerializedName("test_gmacs") double testGmacs) {}

    /** The same figures under other settings (a stored run read back on this machine). */
    public DemoSummary withSettings(DemoSettings other) {
        return new DemoSummary(other, cpu, baseline, glance, resolutions, budgetGmacs, stageCostsGmacs, earlyExit,
                frontier, bench, stepSeconds, seconds, data);
    }

    public Method anchorNet() {
        return earlyExit.get("anchornet");
    }
}
