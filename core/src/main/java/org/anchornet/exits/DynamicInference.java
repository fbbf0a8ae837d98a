package org.anchornet.exits;


/**
 * Simulated early exit on an exit table, with the {@link ExitRule}: an image leaves at the first stage whose confidence
 * passes its threshold. As the reference scores tables, an image that passes no threshold never exits: it costs
 * nothing and counts as wrong (threshold searches here always let the last stage take everyone, as the engine does).
 */
public final class DynamicInference {
    private DynamicInference() {}

    /** Scores a cascade's thresholds under their answer rule. */
    public static Outcome evaluate(ExitTable table, ExitThresholds thresholds, StageCosts costs) {
        return evaluate(table.answeredBy(thresholds.answer()), thresholds.toArray(), costs);
    }

    /**
     * Scores one threshold vector (the exit stage answers). With fewer thresholds than table stages, only the first stages are used (as the
     * reference script does); more thresholds than stages is an error.
     */
    public static Outcome evaluate(ExitTable table, double[] thresholds, StageCosts costs) {
        int k = thresholds.length;
        if (k == 0 || k > table.stages()) {
            throw new IllegalArgumentException(k + " thresholds for a table of " + table.stages() + " stages");
        }
        if (costs.stages() < k) {
            throw new IllegalArgumentException(k + " thresholds but only " + costs.stages() + " stage costs");
        }
        int[] exits = new int[k];
        int[] right = new int[k];
        long total = 0;
        float[][] conf = new float[k][];
        boolean[][] correct = new boolean[k][];
        for (int j = 0; j < k; j++) {
            conf[j] = table.confidenceColumn(j);
            correct[j] = table.correctColumn(j);
        }
        for (int i = 0; i < table.images(); i++) {
            final int image = i;
            int j = ExitRule.firstExit(stage -> conf[stage][image], thresholds, 0, k);
            if (j >= 0) {
                exits[j]++;
                if (correct[j][i]) {
                    right[j]++;
                }
                total += costs.stage(j);
            }
        }
        return new Outcome(thresholds, exits, right, table.images(), total);
    }

}
