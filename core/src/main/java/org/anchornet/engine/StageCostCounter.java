package org.anchornet.engine;

import ai.djl.ndarray.NDManager;
import org.anchornet.exits.StageCosts;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;

/** Stage costs of a cascade counted from its networks with the cost counter (a real forward pass of each). */
public final class StageCostCounter {
    private StageCostCounter() {}

    private record Key(int stages, String arch, int patchSize, int inputSize, int numClasses) {}

    /** Counting runs the networks once; a package's check repeats it on every load, so counts are kept. */
    private static final java.util.Map<Key, java.util.List<Long>> COUNTED =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** {@link #count}, as the list a cascade configuration stores (counted once per process and shape). */
    public static java.util.List<Long> countList(int stages, String downstreamArch, int patchSize, int inputSize,
            int numClasses) {
        return COUNTED.computeIfAbsent(new Key(stages, downstreamArch, patchSize, inputSize, numClasses), k -> {
            java.util.List<Long> out = new java.util.ArrayList<>();
            for (long c : count(k.stages(), k.arch(), k.patchSize(), k.inputSize(), k.numClasses()).perStage()) {
                out.add(c);
            }
            return java.util.List.copyOf(out);
        });
    }

    private record NetworkKey(String arch, int side, int numClasses) {}

    private static final java.util.Map<NetworkKey, Long> NETWORKS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Multiply-adds of one network of an architecture (AnchorNet's too) on {@code side} px images, counted once. */
    public static long network(String arch, int side, int numClasses) {
        return NETWORKS.computeIfAbsent(new NetworkKey(arch, side, numClasses), k -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                return count(Architectures.get(arch).create(manager, numClasses, 0), side, arch);
            }
        });
    }

    /** Counts the downstream network at the patch size and AnchorNet at the input size. */
    public static StageCosts count(int stages, String downstreamArch, int patchSize, int inputSize, int numClasses) {
        if (patchSize < 1 || inputSize < 1) {
            throw new IllegalArgumentException("sides must be positive: patch " + patchSize + ", input " + inputSize);
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            long down = count(Architectures.get(downstreamArch).create(manager, numClasses, 0), patchSize,
                    downstreamArch);
            long anchor = count(Architectures.createAnchorNet(manager, numClasses, 0), inputSize, "AnchorNet");
            return StageCosts.of(stages, down, anchor);
        }
    }

    private static long count(org.anchornet.model.TorchModule network, int side, String name) {
        try {
            return CostCounter.count(network, side).multiplyAdds();
        } catch (ai.djl.engine.EngineException e) { // libtorch's own multi-line message when a map shrinks to nothing
            throw new IllegalArgumentException(name + " cannot run on " + side + " px inputs (too small for its"
                    + " strides and kernels)", e);
        }
    }
}
