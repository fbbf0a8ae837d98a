package org.anchornet.engine;

import ai.djl.ndarray.NDManager;
import org.anchornet.exits.StageCosts;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;

/** Stage costs of a cascade counted from its networks with the cost counter (a real forward pass of each). */
public final class StageCostCounter {
    private StageCostCounter() {}

    /** Counts the downstream network at the patch size and AnchorNet at the input size. */
    public static StageCosts count(int stages, String downstreamArch, int patchSize, int inputSize, int numClasses) {
        try (NDManager manager = NDManager.newBaseManager()) {
            long down = CostCounter.count(Architectures.get(downstreamArch).create(manager, numClasses, 0), patchSize)
                    .multiplyAdds();
            long anchor = CostCounter.count(Architectures.createAnchorNet(manager, numClasses, 0), inputSize)
                    .multiplyAdds();
            return StageCosts.of(stages, down, anchor);
        }
    }
}
