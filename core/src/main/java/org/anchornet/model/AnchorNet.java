package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * AnchorNet (Localizing Semantic Patches, ICME 2022): a small EfficientNet-like CNN built without padding, so each
 * cell of its feature map sees exactly one input window (see {@link ReceptiveField}). Its forward pass returns
 * {@code [features (N×512×h×w), classifier weight (classes×512), logits (N×classes)]}; the first two give the class
 * activation map. State-dict keys are the published model's ({@code conv1}, {@code bneck.i.*}, {@code exp_conv},
 * {@code fc}).
 */
public final class AnchorNet extends TorchModule {
    /** torchvision's name for the classifier head. */
    private static final String HEAD = "fc";

    @Override
    public String headName() {
        return HEAD;
    }

    /** One mobile inverted-bottleneck block: expansion ratio, output channels, depthwise stride. */
    public record BlockSpec(double expandRatio, int outChannels, int stride) {
        public BlockSpec {
            if (expandRatio <= 0 || outChannels <= 0 || stride <= 0) {
                throw new IllegalArgumentException("invalid block " + expandRatio + "/" + outChannels + "/" + stride);
            }
        }
    }

    /** The published configuration. */
    public static final List<BlockSpec> PUBLISHED_BLOCKS = List.of(
            new BlockSpec(1, 16, 2),
            new BlockSpec(3, 24, 2),
            new BlockSpec(4, 24, 1),
            new BlockSpec(4, 48, 1),
            new BlockSpec(2, 96, 1),
            new BlockSpec(1.5, 96, 1),
            new BlockSpec(1.5, 96, 1));

    static final int KERNEL = 3;
    static final int STEM_STRIDE = 2;
    private static final double SE_RATIO = 0.25;

    private final Config config;
    private final Layers.Conv conv1;
    private final Block bn1;
    private final ConvBatchNorm stem;
    private final NamedSequential bneck;
    private final Block expConv;
    private final Linear fc;

    /** Immutable architecture description; {@link #builder()} fills in the published defaults. */
    public record Config(
            int stemChannels, List<BlockSpec> blocks, int featureChannels, int numClasses, int padding) {
        public Config {
            blocks = List.copyOf(blocks);
            if (blocks.isEmpty() || stemChannels <= 0 || featureChannels <= 0 || numClasses <= 0 || padding < 0) {
                throw new IllegalArgumentException("invalid AnchorNet configuration");
            }
        }
    }

    private AnchorNet(Config config) {
        this.config = config;
        conv1 = register("conv1", Layers.conv(config.stemChannels(), KERNEL, STEM_STRIDE, config.padding(), 1, false));
        bn1 = register("bn1", Layers.batchNorm());
        stem = convBatchNorm(conv1, bn1);
        bneck = register("bneck", new NamedSequential());
        int in = config.stemChannels();
        for (int i = 0; i < config.blocks().size(); i++) {
            BlockSpec spec = config.blocks().get(i);
            bneck.add(Integer.toString(i), new MBConv(in, spec, config.padding()));
            in = spec.outChannels();
        }
        expConv = register("exp_conv", Layers.conv(config.featureChannels(), 1, 1, 0, 1, true));
        fc = register(HEAD, Layers.linear(config.numClasses()));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Config config() {
        return config;
    }

    /**
     * AnchorNet's window geometry (95 px windows, 8 px apart), derived from its layers once: the glance and patch
     * side everywhere else comes from here.
     */
    public static ReceptiveField window() {
        return Holder.FIELD;
    }

    private static final class Holder {
        static final ReceptiveField FIELD = AnchorNet.builder().optNumClasses(1).build().receptiveField();
    }

    /** The exact input window of each feature cell, derived from this network's layers. */
    public ReceptiveField receptiveField() {
        List<ReceptiveField.Layer> layers = new ArrayList<>();
        layers.add(new ReceptiveField.Layer("conv1", KERNEL, STEM_STRIDE, config.padding()));
        for (int i = 0; i < config.blocks().size(); i++) {
            layers.add(new ReceptiveField.Layer("bneck." + i + ".conv2", KERNEL, config.blocks().get(i).stride(),
                    config.padding()));
        }
        return ReceptiveField.of(layers);
    }

    /** State-dict keys of parameters that forward never uses (expansion of ratio-1 blocks); torch leaves them be. */
    public java.util.Set<String> unusedParameterPrefixes() {
        java.util.Set<String> unused = new java.util.LinkedHashSet<>();
        for (int i = 0; i < config.blocks().size(); i++) {
            if (config.blocks().get(i).expandRatio() == 1) {
                unused.add("bneck." + i + ".conv1.");
                unused.add("bneck." + i + ".bn1.");
            }
        }
        return unused;
    }

    /**
     * One inference pass, by name: the last feature map (N×C×h×w, one cell per input window), the classifier's weight
     * (classes×C, the parameter itself) and the logits (N×classes). As a DJL block AnchorNet returns the same three as
     * an {@link NDList} in this order, logits last like every network here, so training reads them as it reads any.
     */
    public record Outputs(NDArray features, NDArray classifierWeight, NDArray logits) implements AutoCloseable {
        /** Frees the features and logits; the weight belongs to the network. */
        @Override
        public void close() {
            features.close();
            logits.close();
        }
    }

    /** Runs AnchorNet in inference mode on an N×3×S×S batch. */
    public Outputs outputs(ParameterStore store, NDArray images) {
        NDList out = forward(store, new NDList(images), false);
        return new Outputs(out.get(0), out.get(1), out.get(2));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        checkTrainable(training);
        NDArray x = inputs.singletonOrThrow();
        NDArray out = Layers.swishAndFree(apply(stem, store, x, training), training);
        out = applyAndFree(bneck, store, out, training);
        NDArray features = applyAndFree(expConv, store, out, training);
        NDArray logits;
        try (NDArray pooled = Pool.globalAvgPool2d(features)) {
            logits = apply(fc, store, pooled, training);
        }
        Parameter weight = fc.getParameters().get("weight");
        NDArray classifier = store.getValue(weight, x.getDevice(), training);
        return new NDList(features, classifier, logits);
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        throw new UnsupportedOperationException("AnchorNet has three outputs");
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = initializeInSequence(manager, dataType, inputShapes[0], conv1, bn1, bneck, expConv);
        fc.initialize(manager, dataType, new Shape(s.get(0), s.get(1)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape features = outputInSequence(inputShapes[0], conv1, bn1, bneck, expConv);
        long n = features.get(0);
        return new Shape[] {features, new Shape(config.numClasses(), config.featureChannels()),
                new Shape(n, config.numClasses())};
    }

    /** Builder with the published defaults (1000 classes). */
    public static final class Builder {
        private int stemChannels = 16;
        private List<BlockSpec> blocks = PUBLISHED_BLOCKS;
        private int featureChannels = 512;
        private int numClasses = 1000;
        private int padding;

        public Builder optNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        public Builder optBlocks(List<BlockSpec> blocks) {
            this.blocks = blocks;
            return this;
        }

        public Builder optStemChannels(int stemChannels) {
            this.stemChannels = stemChannels;
            return this;
        }

        public Builder optFeatureChannels(int featureChannels) {
            this.featureChannels = featureChannels;
            return this;
        }

        /** Zero padding of the 3×3 convolutions; the published net has none, and any padding breaks patch mapping. */
        public Builder optPadding(int padding) {
            this.padding = padding;
            return this;
        }

        public AnchorNet build() {
            return new AnchorNet(new Config(stemChannels, blocks, featureChannels, numClasses, padding));
        }
    }

    /** Expansion, unpadded depthwise conv, squeeze-excitation, projection; residual cropped to the output size. */
    static final class MBConv extends TorchModule {
        private final boolean expand;
        private final boolean residual;
        private final Layers.Conv conv1;
        private final Layers.Conv conv2;
        private final Layers.Conv conv3;
        private final Block bn1;
        private final Block bn2;
        private final Block bn3;
        private final ConvBatchNorm expansion;
        private final ConvBatchNorm depthwise;
        private final SqueezeExcitation se;
        private final ConvBatchNorm projection;

        MBConv(int inChannels, BlockSpec spec, int padding) {
            int channels = (int) (spec.expandRatio() * inChannels);
            expand = spec.expandRatio() != 1;
            residual = spec.stride() == 1 && inChannels == spec.outChannels();
            // The expansion conv exists even when unused (ratio 1), as in the published state dict.
            conv1 = register("conv1", Layers.conv(channels, 1, 1, 0, 1, false));
            bn1 = register("bn1", Layers.batchNorm());
            conv2 = register("conv2", Layers.conv(channels, KERNEL, spec.stride(), padding, channels, false));
            bn2 = register("bn2", Layers.batchNorm());
            se = register("se", new SqueezeExcitation(channels, (int) (inChannels * SE_RATIO),
                    ConvNormActivation.Act.SILU, false, "se1", "se2")); // x · sigmoid(se2(swish(se1(avgpool(x)))))
            conv3 = register("conv3", Layers.conv(spec.outChannels(), 1, 1, 0, 1, false));
            bn3 = register("bn3", Layers.batchNorm());
            projection = convBatchNorm(conv3, bn3);
            expansion = convBatchNorm(conv1, bn1);
            depthwise = convBatchNorm(conv2, bn2);
        }

        @Override
        protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
            NDArray out = x;
            if (expand) {
                out = Layers.swishAndFree(apply(expansion, store, x, training), training);
            }
            NDArray dw = apply(depthwise, store, out, training);
            if (out != x) {
                out.close();
            }
            out = Layers.swishAndFree(dw, training);
            out = applyAndFree(se, store, out, training);
            NDArray excited = out;
            out = apply(projection, store, excited, training);
            excited.close();
            if (!residual) {
                return out;
            }
            long h = out.getShape().get(2);
            long w = out.getShape().get(3);
            NDArray sum;
            if (x.getShape().get(2) == h && x.getShape().get(3) == w) {
                sum = out.add(x);
            } else {
                try (NDArray cropped = x.get(new NDIndex(":, :, :{}, :{}", h, w))) {
                    sum = out.add(cropped);
                }
            }
            out.close();
            return sum;
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape in = inputShapes[0];
            initializeInSequence(manager, dataType, in, conv1, bn1);
            Shape dwIn = expand ? outputInSequence(in, conv1) : in;
            initializeInSequence(manager, dataType, dwIn, conv2, bn2, se, conv3, bn3);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape in = inputShapes[0];
            Shape dwIn = expand ? outputInSequence(in, conv1) : in;
            return new Shape[] {outputInSequence(dwIn, conv2, conv3)};
        }
    }
}
