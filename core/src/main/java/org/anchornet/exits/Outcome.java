package org.anchornet.exits;

import java.util.Arrays;

/**
 * The result of early exit on a table: per-stage exits and correct exits, accuracy over the images that exited, and
 * mean multiply-adds per image (images that never exit add no cost but count in the mean, as in the reference).
 */
public record Outcome(double[] thresholds, int[] exits, int[] correctExits, int images, long totalMultiplyAdds) {
    public Outcome {
        thresholds = thresholds.clone();
        exits = exits.clone();
        correctExits = correctExits.clone();
    }

    public int exited() {
        return Arrays.stream(exits).sum();
    }

    public int correct() {
        return Arrays.stream(correctExits).sum();
    }

    /** Top-1 accuracy over the images that exited (NaN when none did). */
    public double accuracy() {
        return exited() == 0 ? Double.NaN : (double) correct() / exited();
    }

    public double meanMultiplyAdds() {
        return images == 0 ? 0 : (double) totalMultiplyAdds / images;
    }

    public double meanGigaMultiplyAdds() {
        return meanMultiplyAdds() / 1e9;
    }
}
