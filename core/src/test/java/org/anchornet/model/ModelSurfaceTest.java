package org.anchornet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelSurfaceTest {
    /** torchvision's (and the reference AnchorNet's) classifier parameters, by architecture. */
    private static final Map<String, List<String>> HEADS = Map.of(
            "resnet18", List.of("fc.weight", "fc.bias"),
            "densenet121", List.of("classifier.weight", "classifier.bias"),
            "efficientnet_b0", List.of("classifier.1.weight", "classifier.1.bias"),
            "mobilenet_v3_large", List.of("classifier.0.weight", "classifier.0.bias", "classifier.3.weight",
                    "classifier.3.bias"),
            "regnet_y_800mf", List.of("fc.weight", "fc.bias"),
            "anchornet", List.of("fc.weight", "fc.bias"));

    @Test
    void everyNetworkNamesItsClassifierHeadWithTorchvisionsKeys() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (Map.Entry<String, List<String>> e : HEADS.entrySet()) {
                TorchModule net = Architectures.get(e.getKey()).create(m, 10, 0);
                assertEquals(e.getValue(), net.headParameterNames(), e.getKey());
                assertFalse(net.isHeadParameter(StateDictMapper.parameters(net).keySet().iterator().next()),
                        e.getKey() + ": the first parameter is the stem's, not the head's");
                assertTrue(StateDictMapper.parameters(net).keySet().containsAll(e.getValue()), e.getKey());
            }
        }
    }
}
