package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import java.util.List;

/** ResNet as torchvision builds it ({@code conv1, bn1, layer1..4, fc}), with basic or bottleneck blocks. */
public final class ResNet extends TorchModule {
    /** torchvision's name for the classifier head. */
    private static final String HEAD = "fc";

    @Override
    public String headName() {
        return HEAD;
    }

    /** torchvision's two residual block types. */
    public enum BlockType {
        BASIC(1),
        BOTTLENECK(4);

        private final int expansion;

        BlockType(int expansion) {
            this.expansion = expansion;
        }

        public int expansion() {
            return expansion;
        }
    }

    /** Immutable architecture description. */
    public record Config(BlockType blockType, List<Integer> layers, int numClasses, int groups, int widthPerGroup) {
        public Config {
            layers = List.copyOf(layers);
            if (layers.size() != 4 || layers.stream().anyMatch(n -> n <= 0) || numClasses <= 0 || groups <= 0
                    || widthPerGroup <= 0) {
                throw new IllegalArgumentException("invalid ResNet configuration " + layers);
            }
        }
    }

    private static final int[] PLANES = {64, 128, 256, 512};

    private final Config config;
    private final Block conv1;
    private final Block bn1;
    private final ConvBatchNorm stem;
    private final Block maxpool;
    private final NamedSequential[] stages = new NamedSequential[4];
    private final Block fc;

    private ResNet(Config config) {
        this.config = config;
        Layers.Conv stemConv = register("conv1", Layers.conv(64, 7, 2, 3, 1, false));
        conv1 = stemConv;
        bn1 = register("bn1", Layers.batchNorm());
        stem = convBatchNorm(stemConv, bn1);
        register("relu", Activation.reluBlock());
        maxpool = register("maxpool", Pool.maxPool2dBlock(new Shape(3, 3), new Shape(2, 2), new Shape(1, 1)));
        int inplanes = 64;
        for (int s = 0; s < 4; s++) {
            NamedSequential stage = new NamedSequential();
            int planes = PLANES[s];
            int stride = s == 0 ? 1 : 2;
            for (int b = 0; b < config.layers().get(s); b++) {
                int blockStride = b == 0 ? stride : 1;
                boolean downsample = b == 0 && (stride != 1 || inplanes != planes * config.blockType().expansion());
                stage.add(Integer.toString(b), new Residual(config, planes, blockStride, downsample));
                inplanes = planes * config.blockType().expansion();
            }
            stages[s] = register("layer" + (s + 1), stage);
        }
        fc = register(HEAD, Layers.linear(config.numClasses()));
    }

    public static Builder builder() {
        return new Builder();
    }

    public Config config() {
        return config;
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        NDArray out = Layers.reluAndFree(apply(stem, store, x, training));
        out = applyAndFree(maxpool, store, out, training);
        for (NamedSequential stage : stages) {
            out = applyAndFree(stage, store, out, training);
        }
        NDArray pooled = Pool.globalAvgPool2d(out);
        out.close();
        return applyAndFree(fc, store, pooled, training);
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Block[] chain = {conv1, bn1, maxpool, stages[0], stages[1], stages[2], stages[3]};
        Shape s = initializeInSequence(manager, dataType, inputShapes[0], chain);
        fc.initialize(manager, dataType, new Shape(s.get(0), s.get(1)));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), config.numClasses())};
    }

    /** Builder; defaults are ResNet-50's. */
    public static final class Builder {
        private BlockType blockType = BlockType.BOTTLENECK;
        private List<Integer> layers = List.of(3, 4, 6, 3);
        private int numClasses = 1000;
        private int groups = 1;
        private int widthPerGroup = 64;

        public Builder setBlockType(BlockType blockType) {
            this.blockType = blockType;
            return this;
        }

        public Builder setLayers(List<Integer> layers) {
            this.layers = layers;
            return this;
        }

        public Builder optNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /** ResNeXt-style grouped 3×3 convolutions in bottleneck blocks. */
        public Builder optGroups(int groups, int widthPerGroup) {
            this.groups = groups;
            this.widthPerGroup = widthPerGroup;
            return this;
        }

        public ResNet build() {
            return new ResNet(new Config(blockType, layers, numClasses, groups, widthPerGroup));
        }
    }

    /** torchvision's BasicBlock or Bottleneck, with an optional 1×1 conv + BN shortcut named {@code downsample}. */
    static final class Residual extends TorchModule {
        private final Block[] path;
        private final ConvBatchNorm[] steps;
        private final NamedSequential downsample;
        private final ConvBatchNorm shortcut;

        Residual(Config config, int planes, int stride, boolean hasDownsample) {
            int out = planes * config.blockType().expansion();
            if (config.blockType() == BlockType.BASIC) {
                path = new Block[] {
                    register("conv1", Layers.conv(planes, 3, stride, 1, 1, false)),
                    register("bn1", Layers.batchNorm()),
                    register("conv2", Layers.conv(planes, 3, 1, 1, 1, false)),
                    register("bn2", Layers.batchNorm())
                };
            } else {
                int width = planes * config.widthPerGroup() / 64 * config.groups();
                path = new Block[] {
                    register("conv1", Layers.conv(width, 1, 1, 0, 1, false)),
                    register("bn1", Layers.batchNorm()),
                    register("conv2", Layers.conv(width, 3, stride, 1, config.groups(), false)),
                    register("bn2", Layers.batchNorm()),
                    register("conv3", Layers.conv(out, 1, 1, 0, 1, false)),
                    register("bn3", Layers.batchNorm())
                };
            }
            steps = new ConvBatchNorm[path.length / 2];
            for (int i = 0; i < steps.length; i++) {
                steps[i] = convBatchNorm((Layers.Conv) path[2 * i], path[2 * i + 1]);
            }
            register("relu", Activation.reluBlock());
            if (hasDownsample) {
                Layers.Conv conv = Layers.conv(out, 1, stride, 0, 1, false);
                if (config.blockType() == BlockType.BOTTLENECK) {
                    // Only bottleneck shapes are known to crash; ResNet-18/34 keep the kernel they trained with.
                    conv.avoidingStridedPointwiseBackwardCrash();
                }
                Block bn = Layers.batchNorm();
                downsample = register("downsample", new NamedSequential().add("0", conv).add("1", bn));
                shortcut = convBatchNorm(conv, bn);
            } else {
                downsample = null;
                shortcut = null;
            }
        }

        @Override
        protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
            NDArray out = x;
            for (int i = 0; i < steps.length; i++) {
                NDArray next = apply(steps[i], store, out, training);
                if (out != x) {
                    out.close();
                }
                out = i + 1 < steps.length ? Layers.reluAndFree(next) : next;
            }
            NDArray identity = shortcut == null ? x : apply(shortcut, store, x, training);
            NDArray sum = out.add(identity);
            out.close();
            if (identity != x) {
                identity.close();
            }
            return Layers.reluAndFree(sum);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            initializeInSequence(manager, dataType, inputShapes[0], path);
            if (downsample != null) {
                downsample.initialize(manager, dataType, inputShapes[0]);
            }
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return new Shape[] {outputInSequence(inputShapes[0], path)};
        }
    }
}
