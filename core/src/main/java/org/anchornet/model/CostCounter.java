package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

/**
 * Parameters and multiply-adds per image, counted the way the reference implementation counts them: every call of a
 * convolution (C_in·C_out·k_h·k_w·H_out·W_out / groups) and of a linear layer (its weight count); normalization,
 * activations and pooling are free. Counting runs one real forward pass on a 1×3×S×S input and records the calls.
 */
public final class CostCounter {
    /** Parameters (trainable, no BN running statistics) and multiply-adds for one image. */
    public record Cost(long parameters, long multiplyAdds) {
        public double megaParameters() {
            return parameters / 1e6;
        }

        public double gigaMultiplyAdds() {
            return multiplyAdds / 1e9;
        }
    }

    private static final ThreadLocal<long[]> ACTIVE = new ThreadLocal<>();

    private CostCounter() {}

    /** Counts an initialized network on a square input of {@code inputSize} pixels. */
    public static Cost count(Block network, int inputSize) {
        long[] total = new long[1];
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray input = manager.zeros(new Shape(1, 3, inputSize, inputSize));
            ACTIVE.set(total);
            try {
                network.forward(new ParameterStore(manager, false), new NDList(input), false);
            } finally {
                ACTIVE.remove();
            }
        }
        return new Cost(parameterCount(network), total[0]);
    }

    /** Trainable parameters, as torch's {@code sum(p.numel() for p in model.parameters())}. */
    public static long parameterCount(Block network) {
        long count = 0;
        for (Pair<String, Parameter> p : network.getParameters()) {
            Parameter.Type type = p.getValue().getType();
            if (type != Parameter.Type.RUNNING_MEAN && type != Parameter.Type.RUNNING_VAR) {
                count += p.getValue().getArray().size();
            }
        }
        return count;
    }

    static void record(Block block, Shape in, Shape out) {
        long[] total = ACTIVE.get();
        if (total == null) {
            return;
        }
        if (block instanceof Convolution conv) {
            Shape k = conv.getKernelShape();
            total[0] += in.get(1) * out.get(1) * k.get(0) * k.get(1) * out.get(2) * out.get(3) / conv.getGroups();
        } else if (block instanceof Linear) {
            total[0] += in.get(in.dimension() - 1) * out.get(out.dimension() - 1);
        }
    }
}
