package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/**
 * DenseNet-BC as torchvision builds it ({@code features.conv0 ... features.norm5}, {@code classifier}), for any
 * growth rate, block configuration, stem width and bottleneck size.
 */
public final class DenseNet extends TorchModule {
    /** torchvision's name for the classifier head. */
    private static final String HEAD = "classifier";

    @Override
    public String headName() {
        return HEAD;
    }

    /** Immutable architecture description. */
    public record Config(int growthRate, List<Integer> blockConfig, int numInitFeatures, int bnSize, int numClasses) {
        public Config {
            blockConfig = List.copyOf(blockConfig);
            if (growthRate <= 0 || blockConfig.isEmpty() || numInitFeatures <= 0 || bnSize <= 0 || numClasses <= 0
                    || blockConfig.stream().anyMatch(n -> n <= 0)) {
                throw new IllegalArgumentException("invalid DenseNet configuration " + blockConfig);
            }
        }
    }

    private final Config config;
    private final NamedSequential features;
    private final Block classifier;

    private DenseNet(Config config) {
        this.config = config;
        features = register("features", new NamedSequential());
        features.add("conv0", Layers.conv(config.numInitFeatures(), 7, 2, 3, 1, false))
                .add("norm0", Layers.batchNorm())
                .add("relu0", Activation.reluBlock())
                .add("pool0", Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        int channels = config.numInitFeatures();
        List<Integer> blocks = config.blockConfig();
        for (int i = 0; i < blocks.size(); i++) {
            features.add("denseblock" + (i + 1), new DenseBlock(blocks.get(i), config.bnSize(), config.growthRate()));
            channels += blocks.get(i) * config.growthRate();
            if (i != blocks.size() - 1) {
                features.add("transition" + (i + 1), new Transition(channels / 2));
                channels /= 2;
            }
        }
        features.add("norm5", Layers.batchNorm());
        classifier = register(HEAD, Layers.linear(config.numClasses()));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Config config() {
        return config;
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        NDArray out = Layers.reluAndFree(apply(features, store, x, training));
        NDArray pooled = Pool.globalAvgPool2d(out);
        out.close();
        return applyAndFree(classifier, store, pooled, training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = initializeInSequence(manager, dataType, inputShapes[0], features);
        classifier.initialize(manager, dataType, new Shape(s.get(0), s.get(1)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.numClasses())};
    }

    /** Builder; defaults are DenseNet-121's. */
    public static final class Builder {
        private int growthRate = 32;
        private List<Integer> blockConfig = List.of(6, 12, 24, 16);
        private int numInitFeatures = 64;
        private int bnSize = 4;
        private int numClasses = 1000;

        public Builder setGrowthRate(int growthRate) {
            this.growthRate = growthRate;
            return this;
        }

        public Builder setBlockConfig(List<Integer> blockConfig) {
            this.blockConfig = blockConfig;
            return this;
        }

        public Builder setNumInitFeatures(int numInitFeatures) {
            this.numInitFeatures = numInitFeatures;
            return this;
        }

        public Builder optBnSize(int bnSize) {
            this.bnSize = bnSize;
            return this;
        }

        public Builder optNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        public DenseNet build() {
            return new DenseNet(new Config(growthRate, blockConfig, numInitFeatures, bnSize, numClasses));
        }
    }

    /** BN-ReLU-Conv1×1-BN-ReLU-Conv3×3 on the concatenation of all earlier features of the block. */
    static final class DenseLayer extends TorchModule {
        private final Block norm1;
        private final Block conv1;
        private final Block norm2;
        private final Block conv2;
        private final ConvBatchNorm bottleneck;
        private final BatchNormRelu preActivation;

        DenseLayer(int bnSize, int growthRate) {
            norm1 = register("norm1", Layers.batchNorm());
            preActivation = batchNormRelu(norm1);
            register("relu1", Activation.reluBlock());
            Layers.Conv squeeze = register("conv1", Layers.conv(bnSize * growthRate, 1, 1, 0, 1, false));
            conv1 = squeeze;
            norm2 = register("norm2", Layers.batchNorm());
            register("relu2", Activation.reluBlock());
            conv2 = register("conv2", Layers.conv(growthRate, 3, 1, 1, 1, false));
            bottleneck = convBatchNorm(squeeze, norm2);
        }

        @Override
        protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
            return forward(store, x, training, false);
        }

        /** With {@code xIsTemporary} (the block's concatenation), a folded layer may overwrite {@code x}. */
        NDArray forward(ParameterStore store, NDArray x, boolean training, boolean xIsTemporary) {
            NDArray out = preActivation.apply(store, x, training, xIsTemporary);
            NDArray activated = out;
            out = Layers.reluAndFree(apply(bottleneck, store, activated, training));
            activated.close();
            return applyAndFree(conv2, store, out, training);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            initializeInSequence(manager, dataType, inputShapes[0], norm1, conv1, norm2, conv2);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {outputInSequence(inputShapes[0], conv1, conv2)};
        }
    }

    /** Layers that each add {@code growthRate} channels; the output concatenates the input and every addition. */
    static final class DenseBlock extends TorchModule {
        private final List<DenseLayer> layers = new ArrayList<>();
        private final int growthRate;

        DenseBlock(int numLayers, int bnSize, int growthRate) {
            this.growthRate = growthRate;
            for (int i = 0; i < numLayers; i++) {
                layers.add(register("denselayer" + (i + 1), new DenseLayer(bnSize, growthRate)));
            }
        }

        @Override
        protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
            NDList features = new NDList(x);
            try {
                for (DenseLayer layer : layers) {
                    // torch concatenates afresh for every layer; the concatenation is freed right after use.
                    NDArray input = features.size() == 1 ? x : NDArrays.concat(features, 1);
                    NDArray added = layer.forward(store, input, training, input != x);
                    if (input != x) {
                        input.close();
                    }
                    features.add(added);
                }
                return NDArrays.concat(features, 1);
            } finally {
                for (int i = 1; i < features.size(); i++) {
                    features.get(i).close();
                }
            }
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape in = inputShapes[0];
            for (DenseLayer layer : layers) {
                layer.initialize(manager, dataType, in);
                in = new Shape(in.get(0), in.get(1) + growthRate, in.get(2), in.get(3));
            }
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape in = inputShapes[0];
            return new Shape[] {
                new Shape(in.get(0), in.get(1) + (long) layers.size() * growthRate, in.get(2), in.get(3))
            };
        }
    }

    /** BN-ReLU-Conv1×1 then 2×2 average pooling. */
    static final class Transition extends TorchModule {
        private final Block norm;
        private final Block conv;
        private final Block pool;

        Transition(int outChannels) {
            norm = register("norm", Layers.batchNorm());
            register("relu", Activation.reluBlock());
            conv = register("conv", Layers.conv(outChannels, 1, 1, 0, 1, false));
            pool = register("pool", Pool.avgPool2dBlock(new Shape(2, 2), new Shape(2, 2)));
        }

        @Override
        protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
            NDArray out = Layers.reluAndFree(apply(norm, store, x, training));
            return applyAndFree(pool, store, applyAndFree(conv, store, out, training), training);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            initializeInSequence(manager, dataType, inputShapes[0], norm, conv, pool);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {outputInSequence(inputShapes[0], conv, pool)};
        }
    }
}
