package org.anchornet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every name in the registry builds, has its torch key layout, counts its multiply-adds and runs at 95 px. */
class ArchitecturesTest {
    static List<String> names() {
        return List.copyOf(Architectures.names());
    }

    @ParameterizedTest
    @MethodSource("names")
    void everyRegisteredNetworkBuildsCountsAndRuns(String name) {
        try (NDManager m = NDManager.newBaseManager()) {
            TorchModule net = Architectures.get(name).create(m, 7, 0);
            CostCounter.Cost cost = CostCounter.count(net, 95);
            assertTrue(cost.multiplyAdds() > 0 && cost.parameters() > 0, name + " " + cost);
            // parameters are named by their state-dict keys, one tensor each
            assertTrue(StateDictMapper.stateDict(net, 0).keySet().stream().allMatch(k -> k.matches("[a-z_0-9.-]+")),
                    name);
            NDArray x = m.randomNormal(new Shape(2, 3, 95, 95));
            NDList out = net.forward(new ParameterStore(m, false), new NDList(x), false);
            NDArray logits = out.get(out.size() - 1);
            assertEquals(new Shape(2, 7), logits.getShape(), name);
            float[] values = logits.toFloatArray();
            for (float v : values) {
                assertTrue(Float.isFinite(v), name + " gives non-finite logits");
            }
        }
    }
}
