package org.anchornet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CostAndReceptiveFieldTest {
    /** Figures measured with PyTorch's reference counter (fixtures README). */
    @ParameterizedTest
    @CsvSource({
        "anchornet, 224, 0.6750, 0.0605",
        "densenet201, 95, 20.014, 0.7898",
        "densenet201, 224, 20.014, 4.2914",
        "densenet121, 95, 7.979, 0.5214",
        "densenet121, 224, 7.979, 2.8342",
        "resnet50, 95, 25.557, 0.7527",
        "resnet50, 224, 25.557, 4.0892"
    })
    void costsMatchTheReferenceCounter(String arch, int input, double megaParams, double gigaMacs) {
        try (NDManager manager = NDManager.newBaseManager()) {
            CostCounter.Cost cost = CostCounter.count(Architectures.get(arch).create(manager, 1000, 0), input);
            double paramDigits = megaParams < 1 ? 1e-4 : 1e-3;
            assertEquals(megaParams, cost.megaParameters(), paramDigits / 2 + 1e-9, arch + " parameters");
            assertEquals(gigaMacs, cost.gigaMultiplyAdds(), 0.00005 + 1e-9, arch + " multiply-adds at " + input);
        }
    }

    @Test
    void anchorNetWindowsAreDerivedNotHardCoded() {
        ReceptiveField rf = AnchorNet.builder().build().receptiveField();
        assertEquals(95, rf.size());
        assertEquals(8, rf.stride());
        assertEquals(17, rf.featureSize(224));
        org.anchornet.localize.Window last = org.anchornet.localize.Window.ofCell(rf, 16, 16);
        assertEquals(128, last.top());
        assertEquals(222, last.bottomInclusive()); // 16·8 + 95 − 1: the last window stops one pixel short of 224
        // A shallower variant has a smaller window: 3 + 2·2 + 2·4 = 15 px, jump 8.
        ReceptiveField shallow = AnchorNet.builder().optBlocks(AnchorNet.PUBLISHED_BLOCKS.subList(0, 2)).build()
                .receptiveField();
        assertEquals(15, shallow.size());
        assertEquals(8, shallow.stride());
    }

    @Test
    void paddedNetworkIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AnchorNet.builder().optPadding(1).build().receptiveField());
        assertTrue(e.getMessage().contains("conv1") && e.getMessage().contains("pads"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AnchorNet.builder().build().receptiveField().featureSize(80));
    }

    @Test
    void featureMapSizeMatchesTheNetwork() {
        try (NDManager manager = NDManager.newBaseManager()) {
            AnchorNet net = (AnchorNet) Architectures.get("anchornet").create(manager, 10, 0);
            for (int input : List.of(95, 160, 224, 256)) {
                long side = net.getOutputShapes(new ai.djl.ndarray.types.Shape[] {
                    new ai.djl.ndarray.types.Shape(1, 3, input, input)})[0].get(2);
                assertEquals(net.receptiveField().featureSize(input), side, "input " + input);
            }
        }
    }
}
