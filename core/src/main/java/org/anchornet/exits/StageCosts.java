package org.anchornet.exits;

import java.util.Arrays;

/**
 * Multiply-adds per image of stopping after each stage, as the reference scores them: stage j (1-based) costs j
 * passes of the downstream network at the patch size, plus one AnchorNet pass from stage 2 on.
 *
 * @param perStage cumulative multiply-adds of exiting after stage j (index j−1)
 */
public record StageCosts(long[] perStage) {
    public StageCosts {
        perStage = perStage.clone();
        for (int j = 0; j < perStage.length; j++) {
            if (perStage[j] < 0) {
                throw new IllegalArgumentException("negative stage cost");
            }
        }
    }

    /** The reference's model: j·downstream + (j > 1 ? anchornet : 0). */
    public static StageCosts of(int stages, long downstream, long anchornet) {
        if (downstream <= 0 || anchornet < 0) {
            throw new IllegalArgumentException("costs must be positive: downstream " + downstream + ", anchornet "
                    + anchornet);
        }
        long[] costs = new long[stages];
        for (int j = 0; j < stages; j++) {
            costs[j] = (j + 1) * downstream + (j > 0 ? anchornet : 0);
        }
        return new StageCosts(costs);
    }


    public int stages() {
        return perStage.length;
    }

    /** The costs of a cascade that ends after its first {@code count} stages. */
    public StageCosts firstStages(int count) {
        if (count < 1 || count > perStage.length) {
            throw new IllegalArgumentException(perStage.length + " stage costs have no first " + count);
        }
        return new StageCosts(Arrays.copyOf(perStage, count));
    }

    public long stage(int index) {
        return perStage[index];
    }


    @Override
    public long[] perStage() {
        return perStage.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StageCosts other && Arrays.equals(perStage, other.perStage);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(perStage);
    }

    @Override
    public String toString() {
        return "StageCosts" + Arrays.toString(perStage);
    }
}
