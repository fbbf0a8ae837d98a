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
 * MobileNetV3-Large as torchvision builds it ({@code features.0..16}, {@code classifier.0/3}): inverted residual
 * blocks with optional squeeze-excitation (hard-sigmoid gate), ReLU or hard-swish, batch norms with eps 0.001 and
 * momentum 0.01, and a two-layer classifier with dropout 0.2.
 */
public final class MobileNetV3 extends TorchModule {
    /** torchvision's name for the classifier head. */
    private static final String HEAD = "classifier";

    @Override
    public String headName() {
        return HEAD;
    }

    /**
     * One inverted residual block: input, kernel, expanded and output channels, squeeze-excitation, hard-swish (else
     * ReLU), stride.
     */
    public record BlockSpec(int in, int kernel, int expanded, int out, boolean se, boolean hardSwish, int stride) {}

    /** torchvision's {@code _mobilenet_v3_conf("mobilenet_v3_large")} at width 1.0. */
    public static final List<BlockSpec> LARGE = List.of(
            new BlockSpec(16, 3, 16, 16, false, false, 1),
            new BlockSpec(16, 3, 64, 24, false, false, 2),
            new BlockSpec(24, 3, 72, 24, false, false, 1),
            new BlockSpec(24, 5, 72, 40, true, false, 2),
            new BlockSpec(40, 5, 120, 40, true, false, 1),
            new BlockSpec(40, 5, 120, 40, true, false, 1),
            new BlockSpec(40, 3, 240, 80, false, true, 2),
            new BlockSpec(80, 3, 200, 80, false, true, 1),
            new BlockSpec(80, 3, 184, 80, false, true, 1),
            new BlockSpec(80, 3, 184, 80, false, true, 1),
            new BlockSpec(80, 3, 480, 112, true, true, 1),
            new BlockSpec(112, 3, 672, 112, true, true, 1),
            new BlockSpec(112, 5, 672, 160, true, true, 2),
            new BlockSpec(160, 5, 960, 160, true, true, 1),
            new BlockSpec(160, 5, 960, 160, true, true, 1));

    static final ConvNormActivation.Norm NORM = new ConvNormActivation.Norm(0.001f, 0.01f);
    private static final int LAST_CHANNEL = 1280;
    private static final float DROPOUT = 0.2f;

    private final int numClasses;
    private final NamedSequential features;
    private final Block hidden;
    private final Block classifier;

    private MobileNetV3(List<BlockSpec> blocks, int numClasses) {
        this.numClasses = numClasses;
        features = register("features", new NamedSequential());
        features.add("0", new ConvNormActivation(blocks.get(0).in(), 3, 2, 1, NORM, ConvNormActivation.Act.HARDSWISH));
        for (int i = 0; i < blocks.size(); i++) {
            features.add(Integer.toString(i + 1), new InvertedResidual(blocks.get(i)));
        }
        int last = blocks.get(blocks.size() - 1).out();
        features.add(Integer.toString(blocks.size() + 1), new ConvNormActivation(6 * last, 1, 1, 1, NORM,
                ConvNormActivation.Act.HARDSWISH));
        NamedSequential head = register(HEAD, new NamedSequential());
        hidden = Layers.linear(LAST_CHANNEL);
        classifier = Layers.linear(numClasses);
        head.add("0", hidden);
        head.add("3", classifier);
    }

    public static MobileNetV3 large(int numClasses) {
        return new MobileNetV3(LARGE, numClasses);
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        NDArray out = apply(features, store, x, training);
        NDArray pooled = Pool.globalAvgPool2d(out);
        out.close();
        NDArray h = Layers.hardSwishAndFree(applyAndFree(hidden, store, pooled, training));
        if (training) {
            NDArray dropped = Dropout.dropout(h, DROPOUT, true).singletonOrThrow();
            h.close();
            h = dropped;
        }
        return applyAndFree(classifier, store, h, training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = initializeInSequence(manager, dataType, inputShapes[0], features);
        hidden.initialize(manager, dataType, new Shape(s.get(0), s.get(1)));
        classifier.initialize(manager, dataType, new Shape(s.get(0), LAST_CHANNEL));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    /** Expansion (when it widens), depthwise, squeeze-excitation, projection; residual when shapes allow. */
    static final class InvertedResidual extends ResidualBranch {
        InvertedResidual(BlockSpec spec) {
            super(spec.stride() == 1 && spec.in() == spec.out());
            ConvNormActivation.Act act = spec.hardSwish() ? ConvNormActivation.Act.HARDSWISH
                    : ConvNormActivation.Act.RELU;
            int index = 0;
            if (spec.expanded() != spec.in()) {
                block.add(Integer.toString(index++), new ConvNormActivation(spec.expanded(), 1, 1, 1, NORM, act));
            }
            block.add(Integer.toString(index++), new ConvNormActivation(spec.expanded(), spec.kernel(), spec.stride(),
                    spec.expanded(), NORM, act));
            if (spec.se()) {
                block.add(Integer.toString(index++), new SqueezeExcitation(spec.expanded(),
                        makeDivisible(spec.expanded() / 4, 8), ConvNormActivation.Act.RELU, true));
            }
            block.add(Integer.toString(index), new ConvNormActivation(spec.out(), 1, 1, 1, NORM,
                    ConvNormActivation.Act.NONE));
        }
    }

    /** torchvision's {@code _make_divisible}: the nearest multiple of {@code divisor}, never 10% below the value. */
    static int makeDivisible(double value, int divisor) {
        int rounded = Math.max(divisor, (int) (value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
