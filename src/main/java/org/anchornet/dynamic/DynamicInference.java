package org.anchornet.dynamic;


/** Simulated early exit on an exit table: an image leaves at the first stage whose confidence is > its threshold. */
public final class DynamicInference {
    private DynamicInference() {}

    /**
     * Scores one threshold vector. With fewer thresholds than table stages, only the first stages are used (as the
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
            for (int j = 0; j < k; j++) {
                if (conf[j][i] > thresholds[j]) {
                    exits[j]++;
                    if (correct[j][i]) {
                        right[j]++;
                    }
                    total += costs.stage(j);
                    break;
                }
            }
        }
        return new Outcome(thresholds, exits, right, table.images(), total);
    }

}
