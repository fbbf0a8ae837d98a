package org.anchornet.model;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.anchornet.model.Architecture.Family;

/** The registry behind every {@code --arch} option. */
public final class Architectures {
    /** The paper's downstream network: the default wherever a command needs one and nothing says which. */
    public static final String REFERENCE_DOWNSTREAM = "densenet201";

    /** AnchorNet's name in the registry (it is never a downstream network). */
    public static final String ANCHORNET = "anchornet";

    private static final Map<String, Architecture> REGISTRY = new LinkedHashMap<>();

    static {
        add(ANCHORNET, Family.ANCHORNET, n -> AnchorNet.builder().optNumClasses(n).build());
        densenet("densenet121", 32, List.of(6, 12, 24, 16), 64);
        densenet("densenet161", 48, List.of(6, 12, 36, 24), 96);
        densenet("densenet169", 32, List.of(6, 12, 32, 32), 64);
        densenet("densenet201", 32, List.of(6, 12, 48, 32), 64);
        resnet("resnet18", ResNet.BlockType.BASIC, List.of(2, 2, 2, 2));
        resnet("resnet34", ResNet.BlockType.BASIC, List.of(3, 4, 6, 3));
        resnet("resnet50", ResNet.BlockType.BOTTLENECK, List.of(3, 4, 6, 3));
        resnet("resnet101", ResNet.BlockType.BOTTLENECK, List.of(3, 4, 23, 3));
        resnet("resnet152", ResNet.BlockType.BOTTLENECK, List.of(3, 8, 36, 3));
        add("mobilenet_v3_large", Family.MOBILENET, MobileNetV3::large);
        add("efficientnet_b0", Family.EFFICIENTNET, EfficientNet::b0);
        add("regnet_y_800mf", Family.REGNET, n -> RegNet.of(RegNet.Config.Y_800MF, n));
    }

    private Architectures() {}

    public static Architecture get(String name) {
        Architecture arch = REGISTRY.get(name);
        if (arch == null) {
            throw new IllegalArgumentException("unknown architecture '" + name + "'; known: " + names());
        }
        return arch;
    }

    /** A new AnchorNet with PyTorch's default initialization from {@code seed}. */
    public static AnchorNet createAnchorNet(NDManager manager, int numClasses, long seed) {
        return (AnchorNet) get(ANCHORNET).create(manager, numClasses, seed);
    }

    /** AnchorNet's weights from a checkpoint or state dict, ready for inference (batch norms folded). */
    public static AnchorNet loadAnchorNet(NDManager manager, int numClasses, Path checkpoint) throws IOException {
        return (AnchorNet) get(ANCHORNET).loadForInference(manager, numClasses, checkpoint);
    }

    public static Set<String> names() {
        return Collections.unmodifiableSet(REGISTRY.keySet());
    }

    private static void add(String name, Family family, java.util.function.IntFunction<TorchModule> factory) {
        REGISTRY.put(name, new Architecture(name, family, factory));
    }

    private static void densenet(String name, int growth, List<Integer> blocks, int initFeatures) {
        add(name, Family.DENSENET, n -> DenseNet.builder().setGrowthRate(growth).setBlockConfig(blocks)
                .setNumInitFeatures(initFeatures).optNumClasses(n).build());
    }

    private static void resnet(String name, ResNet.BlockType type, List<Integer> layers) {
        add(name, Family.RESNET, n -> ResNet.builder().setBlockType(type).setLayers(layers).optNumClasses(n).build());
    }
}
