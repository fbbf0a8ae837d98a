package org.anchornet.model;

import static org.anchornet.testing.Tensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.anchornet.localize.ClassActivationMap;
import org.anchornet.testing.Fixtures;
import org.anchornet.torchio.StateDicts;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import org.junit.jupiter.api.Test;

class ModelParityTest {
    private static final double TOL = 1e-4;

    @Test
    void anchorNetMatchesPyTorch() throws Exception {
        Map<String, Object> io = TorchReader.readDict(Fixtures.file("anchornet_io.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            AnchorNet net = Architectures.createAnchorNet(manager, 1000, 0);
            StateDictMapper.load(net, StateDicts.load(Fixtures.file("anchornet_state.pth")));
            NDArray x = ((TorchTensor) io.get("x")).toNDArray(manager);
            AnchorNet.Outputs out = net.outputs(new ParameterStore(manager, false), x);
            assertClose((TorchTensor) io.get("fea"), out.features(), TOL, "feature map");
            assertClose((TorchTensor) io.get("logits"), out.logits(), TOL, "logits");
            assertClose((TorchTensor) io.get("cam"), ClassActivationMap.compute(out.features(),
                    out.classifierWeight(), out.logits()), TOL, "CAM");
        }
    }

    @Test
    void denseNet121MatchesTorchvision() throws Exception {
        assertLogitsMatch(Architectures.get("densenet121").build(1000), "densenet121");
    }

    @Test
    void resNetBottleneck1111MatchesTorchvision() throws Exception {
        assertLogitsMatch(ResNet.builder().setBlockType(ResNet.BlockType.BOTTLENECK).setLayers(List.of(1, 1, 1, 1))
                .build(), "resnet_bottleneck_1111");
    }

    /** The light backbones of GFNet's comparisons, with every batch norm's statistics and affine terms randomized. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"mobilenet_v3_large", "efficientnet_b0",
        "regnet_y_800mf"})
    void lightBackbonesMatchTorchvisionInEvalModeAndFolded(String arch) throws Exception {
        assertLogitsMatch(Architectures.get(arch).build(1000), arch);
        Map<String, Object> io = TorchReader.readDict(Fixtures.file(arch + "_io.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            TorchModule net = Architectures.get(arch).loadForInference(manager, 1000, Fixtures.file(arch
                    + "_state.pth"));
            NDArray x = ((TorchTensor) io.get("x")).toNDArray(manager);
            NDArray logits = net.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
            assertClose((TorchTensor) io.get("logits"), logits, 1e-3, arch + " folded logits");
        }
    }

    private static void assertLogitsMatch(TorchModule net, String fixture) throws Exception {
        Map<String, Object> io = TorchReader.readDict(Fixtures.file(fixture + "_io.pth"));
        try (NDManager manager = NDManager.newBaseManager()) {
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 95, 95));
            StateDictMapper.load(net, StateDicts.load(Fixtures.file(fixture + "_state.pth")));
            NDArray x = ((TorchTensor) io.get("x")).toNDArray(manager);
            NDArray logits = net.forward(new ParameterStore(manager, false), new NDList(x), false).singletonOrThrow();
            assertClose((TorchTensor) io.get("logits"), logits, TOL, fixture + " logits");
        }
    }

    @Test
    void stateDictKeysAndOrderAreTorchs() throws Exception {
        for (String fixture : List.of("anchornet_state", "densenet121_state", "resnet_bottleneck_1111_state",
                "mobilenet_v3_large_state", "efficientnet_b0_state", "regnet_y_800mf_state")) {
            Map<String, TorchTensor> expected = StateDicts.load(Fixtures.file(fixture + ".pth"));
            String arch = fixture.substring(0, fixture.length() - "_state".length());
            TorchModule net = fixture.startsWith("resnet_bottleneck") ? ResNet.builder().setLayers(List.of(1, 1, 1, 1))
                    .build() : Architectures.get(arch).build(1000);
            try (NDManager manager = NDManager.newBaseManager()) {
                net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 224, 224));
                long tracked = StateDictMapper.load(net, expected);
                Map<String, TorchTensor> written = StateDictMapper.stateDict(net, tracked);
                assertEquals(new ArrayList<>(expected.keySet()), new ArrayList<>(written.keySet()), fixture);
                expected.forEach((k, t) -> assertTrue(t.contentEquals(written.get(k)), fixture + " " + k));
            }
        }
    }

    @Test
    void incompatibleStateDictListsEveryProblem() throws Exception {
        Map<String, TorchTensor> sd = new LinkedHashMap<>(StateDicts.load(Fixtures.file("anchornet_state.pth")));
        sd.remove("bn1.running_mean");
        sd.put("extra.weight", TorchTensor.ofFloats(new float[] {1}, 1));
        try (NDManager manager = NDManager.newBaseManager()) {
            TorchModule net = Architectures.get("anchornet").create(manager, 10, 0); // fc is 10×512, file has 1000
            StateDictMapper.IncompatibleStateDictException e = assertThrows(
                    StateDictMapper.IncompatibleStateDictException.class, () -> StateDictMapper.load(net, sd));
            assertEquals(List.of("bn1.running_mean (16)"), e.missing());
            assertEquals(List.of("extra.weight"), e.unexpected());
            assertEquals(2, e.misshaped().size(), e.getMessage());
            assertTrue(e.getMessage().contains("fc.weight"), e.getMessage());
            // Skipping the classifier (fine-tuning to new classes) loads the rest.
            sd.put("bn1.running_mean", TorchTensor.ofFloats(new float[16], 16));
            sd.remove("extra.weight");
            StateDictMapper.load(net, sd, key -> key.startsWith("fc."));
        }
    }
}
