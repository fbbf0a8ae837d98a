package org.anchornet.exits;

import java.util.Arrays;
import java.util.Random;

/** Seeded validation/test split of one table's images. */
public final class Splits {
    /** Row indices of each side, sorted. */
    public record Split(int[] validation, int[] test) {}

    private Splits() {}

    /** Row indices 0..n−1 in a seeded random order (Fisher–Yates with {@link Random}). */
    public static int[] shuffled(int n, long seed) {
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = rows[i];
            rows[i] = rows[j];
            rows[j] = tmp;
        }
        return rows;
    }

    /** Splits the rows from a seeded shuffle. */
    public static Split split(int images, double validationFraction, long seed) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("the validation fraction must lie strictly between 0 and 1, got "
                    + validationFraction);
        }
        int[] rows = shuffled(images, seed);
        int cut = (int) Math.round(images * validationFraction);
        if (cut == 0 || cut == images) {
            throw new IllegalArgumentException("a split of " + images + " images at " + validationFraction
                    + " leaves one side empty");
        }
        int[] validation = Arrays.copyOfRange(rows, 0, cut);
        int[] test = Arrays.copyOfRange(rows, cut, images);
        Arrays.sort(validation);
        Arrays.sort(test);
        return new Split(validation, test);
    }
}
