package org.anchornet.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class FoldBatchNormTest {
    static Stream<Arguments> networks() {
        return Stream.of(
                Arguments.of("anchornet", (Supplier<TorchModule>) () -> AnchorNet.builder().optNumClasses(7).build(),
                        112),
                Arguments.of("resnet basic", (Supplier<TorchModule>) () -> ResNet.builder()
                        .setBlockType(ResNet.BlockType.BASIC).setLayers(List.of(1, 1, 1, 1)).optNumClasses(7).build(),
                        64),
                Arguments.of("resnet bottleneck", (Supplier<TorchModule>) () -> ResNet.builder()
                        .setLayers(List.of(1, 1, 1, 1)).optNumClasses(7).build(), 64),
                Arguments.of("densenet", (Supplier<TorchModule>) () -> DenseNet.builder().setGrowthRate(8)
                        .setBlockConfig(List.of(2, 2)).setNumInitFeatures(16).optNumClasses(7).build(), 64));
    }

    /**
     * Batch norms with non-trivial statistics (fresh ones are the identity, which any folding bug would pass):
     * folded inference gives the unfolded outputs to float rounding, counts the same multiply-adds, refuses to train,
     * and unfolding restores the original computation exactly.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void foldedInferenceComputesTheSameFunction(String name, Supplier<TorchModule> factory, int input) {
        try (NDManager manager = NDManager.newBaseManager()) {
            TorchModule net = factory.get();
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, input, input));
            Random random = new Random(3);
            for (Pair<String, Parameter> p : net.getParameters()) {
                NDArray a = p.getValue().getArray();
                int n = (int) a.size();
                float[] values = new float[n];
                for (int i = 0; i < n; i++) {
                    values[i] = (float) (p.getKey().endsWith("runningVar") ? 0.2 + 2 * random.nextDouble()
                            : p.getKey().endsWith("gamma") ? 0.5 + random.nextDouble()
                            : 0.1 * random.nextGaussian());
                }
                a.set(values);
            }
            NDArray x = manager.randomNormal(new Shape(2, 3, input, input));
            double before = CostCounter.count(net, input).multiplyAdds();
            float[][] plain = outputs(net, manager, x);

            net.foldBatchNorms();
            float[][] folded = outputs(net, manager, x);
            for (int o = 0; o < plain.length; o++) {
                double scale = 0;
                double worst = 0;
                for (int i = 0; i < plain[o].length; i++) {
                    scale = Math.max(scale, Math.abs(plain[o][i]));
                    worst = Math.max(worst, Math.abs(plain[o][i] - folded[o][i]));
                }
                assertTrue(scale > 1e-3, name + " output " + o + " is degenerate");
                assertTrue(worst <= 1e-4 * Math.max(1, scale), name + " output " + o + " differs by " + worst);
            }
            assertEquals(before, CostCounter.count(net, input).multiplyAdds(), name + " multiply-adds");
            IllegalStateException training = assertThrows(IllegalStateException.class,
                    () -> net.forward(new ParameterStore(manager, false), new NDList(x), true));
            assertTrue(training.getMessage().contains("folded"), training.getMessage());

            net.unfoldBatchNorms();
            float[][] again = outputs(net, manager, x);
            for (int o = 0; o < plain.length; o++) {
                assertArrayEquals(plain[o], again[o], name + " output " + o + " after unfolding");
            }

            // In place: the same outputs as the reversible fold, and nothing that needs the original weights works.
            net.foldBatchNormsInPlace();
            float[][] inPlace = outputs(net, manager, x);
            for (int o = 0; o < plain.length; o++) {
                assertArrayEquals(folded[o], inPlace[o], 1e-6f, name + " output " + o + " folded in place");
            }
            for (org.junit.jupiter.api.function.Executable refused : List.<org.junit.jupiter.api.function.Executable>of(
                    net::unfoldBatchNorms, net::foldBatchNorms, () -> StateDictMapper.stateDict(net, 0),
                    () -> StateDictMapper.load(net, java.util.Map.of()),
                    () -> net.forward(new ParameterStore(manager, false), new NDList(x), true))) {
                IllegalStateException e = assertThrows(IllegalStateException.class, refused);
                assertTrue(e.getMessage().contains("fold"), e.getMessage());
            }
            assertArrayEquals(inPlace[0], outputs(net, manager, x)[0], name + " unchanged by the refused calls");
        }
    }

    private static float[][] outputs(TorchModule net, NDManager manager, NDArray x) {
        try (NDManager scope = manager.newSubManager()) {
            x.tempAttach(scope);
            NDList out = net.forward(new ParameterStore(scope, false), new NDList(x), false);
            float[][] values = new float[out.size()][];
            for (int i = 0; i < out.size(); i++) {
                values[i] = out.get(i).toFloatArray();
            }
            return values;
        }
    }
}
