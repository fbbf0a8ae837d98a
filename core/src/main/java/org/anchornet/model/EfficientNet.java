package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * EfficientNet (v1) as torchvision builds it ({@code features.0..8}, {@code classifier.1}): MBConv stages with SiLU,
 * squeeze-excitation to a quarter of each block's input channels, stochastic depth growing linearly to 0.2 over the
 * blocks (training only), and a classifier with dropout 0.2.
 */
public final class EfficientNet extends TorchModule {
    /** torchvision's name for the classifier head. */
    private static final String HEAD = "classifier";

    @Override
    public String headName() {
        return HEAD;
    }

    /** One stage: expansion ratio, kernel, stride of its first block, input and output channels, blocks. */
    public record StageSpec(int expandRatio, int kernel, int stride, int in, int out, int layers) {}

    /** torchvision's {@code _efficientnet_conf("efficientnet_b0")}: width and depth multipliers 1.0. */
    public static final List<StageSpec> B0 = List.of(
            new StageSpec(1, 3, 1, 32, 16, 1),
            new StageSpec(6, 3, 2, 16, 24, 2),
            new StageSpec(6, 5, 2, 24, 40, 2),
            new StageSpec(6, 3, 2, 40, 80, 3),
            new StageSpec(6, 5, 1, 80, 112, 3),
            new StageSpec(6, 5, 2, 112, 192, 4),
            new StageSpec(6, 3, 1, 192, 320, 1));

    private static final double STOCHASTIC_DEPTH = 0.2;
    private static final float DROPOUT = 0.2f;

    private final int numClasses;
    private final int lastChannels;
    private final NamedSequential features;
    private final Block classifier;

    private EfficientNet(List<StageSpec> stages, int numClasses) {
        this.numClasses = numClasses;
        ConvNormActivation.Norm norm = ConvNormActivation.Norm.TORCH_DEFAULT;
        features = register("features", new NamedSequential());
        features.add("0", new ConvNormActivation(stages.get(0).in(), 3, 2, 1, norm, ConvNormActivation.Act.SILU));
        int total = stages.stream().mapToInt(StageSpec::layers).sum();
        int blockId = 0;
        for (int s = 0; s < stages.size(); s++) {
            StageSpec spec = stages.get(s);
            NamedSequential stage = new NamedSequential();
            for (int b = 0; b < spec.layers(); b++) {
                int in = b == 0 ? spec.in() : spec.out();
                int stride = b == 0 ? spec.stride() : 1;
                double dropRate = STOCHASTIC_DEPTH * blockId / total;
                stage.add(Integer.toString(b), new MBConv(spec.expandRatio(), spec.kernel(), stride, in, spec.out(),
                        dropRate));
                blockId++;
            }
            features.add(Integer.toString(s + 1), stage);
        }
        int last = stages.get(stages.size() - 1).out();
        lastChannels = 4 * last;
        features.add(Integer.toString(stages.size() + 1), new ConvNormActivation(lastChannels, 1, 1, 1, norm,
                ConvNormActivation.Act.SILU));
        NamedSequential head = register(HEAD, new NamedSequential());
        classifier = Layers.linear(numClasses);
        head.add("1", classifier);
    }

    public static EfficientNet b0(int numClasses) {
        return new EfficientNet(B0, numClasses);
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        NDArray out = apply(features, store, x, training);
        NDArray pooled = Pool.globalAvgPool2d(out);
        out.close();
        if (training) {
            NDArray dropped = Dropout.dropout(pooled, DROPOUT, true).singletonOrThrow();
            pooled.close();
            pooled = dropped;
        }
        return applyAndFree(classifier, store, pooled, training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = initializeInSequence(manager, dataType, inputShapes[0], features);
        classifier.initialize(manager, dataType, new Shape(s.get(0), lastChannels));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    /** Expansion (ratio > 1), depthwise, squeeze-excitation, projection; residual with stochastic depth. */
    static final class MBConv extends ResidualBranch {
        private final double dropRate;

        MBConv(int expandRatio, int kernel, int stride, int in, int out, double dropRate) {
            super(stride == 1 && in == out);
            ConvNormActivation.Norm norm = ConvNormActivation.Norm.TORCH_DEFAULT;
            int expanded = MobileNetV3.makeDivisible(in * (double) expandRatio, 8);
            int index = 0;
            if (expanded != in) {
                block.add(Integer.toString(index++), new ConvNormActivation(expanded, 1, 1, 1, norm,
                        ConvNormActivation.Act.SILU));
            }
            block.add(Integer.toString(index++), new ConvNormActivation(expanded, kernel, stride, expanded, norm,
                    ConvNormActivation.Act.SILU));
            block.add(Integer.toString(index++), new SqueezeExcitation(expanded, Math.max(1, in / 4),
                    ConvNormActivation.Act.SILU, false));
            block.add(Integer.toString(index), new ConvNormActivation(out, 1, 1, 1, norm,
                    ConvNormActivation.Act.NONE));
            this.dropRate = dropRate;
        }

        @Override
        protected NDArray beforeSum(NDArray out, boolean training) {
            if (!training || dropRate == 0) {
                return out;
            }
            // torchvision's StochasticDepth("row"): each image keeps the branch with probability 1 − p, scaled
            long n = out.getShape().get(0);
            try (NDArray draw = out.getManager().randomUniform(0f, 1f, new Shape(n, 1, 1, 1));
                    NDArray keep = draw.lt(1 - dropRate);
                    NDArray mask = keep.toType(DataType.FLOAT32, false).div((float) (1 - dropRate))) {
                NDArray scaled = out.mul(mask);
                out.close();
                return scaled;
            }
        }
    }
}
