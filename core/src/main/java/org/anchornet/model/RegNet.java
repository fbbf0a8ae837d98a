package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import java.util.List;

/**
 * RegNet (Y variants: with squeeze-excitation) as torchvision builds it ({@code stem}, {@code trunk_output.blockS
 * .blockS-j}, {@code fc}): residual bottleneck blocks with grouped 3×3 convolutions of a fixed group width and
 * squeeze-excitation to a quarter of each block's input width.
 *
 * @see Config#Y_800MF
 */
public final class RegNet extends TorchModule {
    /** torchvision's name for the classifier head. */
    private static final String HEAD = "fc";

    @Override
    public String headName() {
        return HEAD;
    }

    /**
     * Stage widths and depths, group width, squeeze-excitation ratio. torchvision derives them from its design-space
     * parameters; here they are written out.
     */
    public record Config(int stem, List<Integer> widths, List<Integer> depths, int groupWidth, double seRatio) {
        /** torchvision's {@code regnet_y_800mf} (depth 14, w0 56, wa 38.84, wm 2.4, group width 16, SE 0.25). */
        public static final Config Y_800MF = new Config(32, List.of(64, 144, 320, 784), List.of(1, 3, 8, 2), 16, 0.25);

        public Config {
            widths = List.copyOf(widths);
            depths = List.copyOf(depths);
            if (widths.size() != depths.size() || widths.isEmpty()) {
                throw new IllegalArgumentException("one depth per stage width");
            }
        }
    }

    private final int numClasses;
    private final int lastWidth;
    private final Block stem;
    private final NamedSequential trunk;
    private final Block fc;

    private RegNet(Config config, int numClasses) {
        this.numClasses = numClasses;
        // torchvision's SimpleStemIN is a Conv2dNormActivation: stem.0, stem.1
        stem = register("stem", new ConvNormActivation(config.stem(), 3, 2, 1, ConvNormActivation.Norm.TORCH_DEFAULT,
                ConvNormActivation.Act.RELU));
        trunk = register("trunk_output", new NamedSequential());
        int in = config.stem();
        for (int s = 0; s < config.widths().size(); s++) {
            NamedSequential stage = new NamedSequential();
            int width = config.widths().get(s);
            for (int b = 0; b < config.depths().get(s); b++) {
                stage.add("block" + (s + 1) + "-" + b, new Bottleneck(b == 0 ? in : width, width, b == 0 ? 2 : 1,
                        config.groupWidth(), config.seRatio()));
            }
            trunk.add("block" + (s + 1), stage);
            in = width;
        }
        lastWidth = in;
        fc = register(HEAD, Layers.linear(numClasses));
    }

    public static RegNet of(Config config, int numClasses) {
        return new RegNet(config, numClasses);
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        NDArray out = applyAndFree(trunk, store, apply(stem, store, x, training), training);
        NDArray pooled = Pool.globalAvgPool2d(out);
        out.close();
        return applyAndFree(fc, store, pooled, training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = initializeInSequence(manager, dataType, inputShapes[0], stem, trunk);
        fc.initialize(manager, dataType, new Shape(s.get(0), lastWidth));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    /** torchvision's ResBottleneckBlock: {@code proj} shortcut when the shape changes, {@code f} = a, b, se, c. */
    static final class Bottleneck extends TorchModule {
        private final ConvNormActivation proj;
        private final NamedSequential f;

        Bottleneck(int in, int out, int stride, int groupWidth, double seRatio) {
            ConvNormActivation.Norm norm = ConvNormActivation.Norm.TORCH_DEFAULT;
            proj = in != out || stride != 1 ? register("proj", new ConvNormActivation(out, 1, stride, 1, norm,
                    ConvNormActivation.Act.NONE)) : null;
            f = register("f", new NamedSequential()
                    .add("a", new ConvNormActivation(out, 1, 1, 1, norm, ConvNormActivation.Act.RELU))
                    .add("b", new ConvNormActivation(out, 3, stride, out / groupWidth, norm,
                            ConvNormActivation.Act.RELU))
                    .add("se", new SqueezeExcitation(out, (int) Math.round(seRatio * in), ConvNormActivation.Act.RELU,
                            false))
                    .add("c", new ConvNormActivation(out, 1, 1, 1, norm, ConvNormActivation.Act.NONE)));
        }

        @Override
        protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
            NDArray branch = apply(f, store, x, training);
            NDArray shortcut = proj == null ? x : apply(proj, store, x, training);
            NDArray sum = branch.add(shortcut);
            branch.close();
            if (shortcut != x) {
                shortcut.close();
            }
            return Layers.reluAndFree(sum);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            f.initialize(manager, dataType, inputShapes);
            if (proj != null) {
                proj.initialize(manager, dataType, inputShapes);
            }
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return f.getOutputShapes(inputShapes);
        }
    }
}
