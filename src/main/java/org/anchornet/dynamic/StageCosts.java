package org.anchornet.dynamic;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;

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

    /** Counts the downstream network at the patch size and AnchorNet at the input size with the cost counter. */
    public static StageCosts counted(int stages, String downstreamArch, int patchSize, int inputSize, int numClasses) {
        try (NDManager manager = NDManager.newBaseManager()) {
            long down = CostCounter.count(Architectures.get(downstreamArch).create(manager, numClasses, 0), patchSize)
                    .multiplyAdds();
            long anchor = CostCounter.count(Architectures.get("anchornet").create(manager, numClasses, 0), inputSize)
                    .multiplyAdds();
            return of(stages, down, anchor);
        }
    }

    public int stages() {
        return perStage.length;
    }

    public long stage(int index) {
        return perStage[index];
    }

    public StageCosts firstStages(int k) {
        return new StageCosts(Arrays.copyOf(perStage, k));
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
