package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;

/**
 * torchvision's {@code SqueezeExcitation}: {@code x · scale(fc2(act(fc1(avgpool(x)))))}, with 1×1 convolutions
 * {@code fc1} and {@code fc2}; the scale is a sigmoid (EfficientNet, RegNet) or a hard sigmoid (MobileNetV3).
 */
final class SqueezeExcitation extends TorchModule {
    private final Block fc1;
    private final Block fc2;
    private final ConvNormActivation.Act activation;
    private final boolean hardScale;

    SqueezeExcitation(int channels, int squeezed, ConvNormActivation.Act activation, boolean hardScale) {
        this(channels, squeezed, activation, hardScale, "fc1", "fc2");
    }

    /** The same block under other torch names for its two convolutions (AnchorNet's {@code se1}, {@code se2}). */
    SqueezeExcitation(int channels, int squeezed, ConvNormActivation.Act activation, boolean hardScale,
            String fc1Name, String fc2Name) {
        this.fc1 = register(fc1Name, Layers.conv(squeezed, 1, 1, 0, 1, true));
        this.fc2 = register(fc2Name, Layers.conv(channels, 1, 1, 0, 1, true));
        this.activation = activation;
        this.hardScale = hardScale;
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        Shape s = x.getShape();
        NDArray pooled = Pool.globalAvgPool2d(x).reshape(s.get(0), s.get(1), 1, 1);
        NDArray squeezed = ConvNormActivation.activate(applyAndFree(fc1, store, pooled, training), activation,
                training);
        NDArray logits = applyAndFree(fc2, store, squeezed, training);
        NDArray gate;
        if (hardScale) {
            gate = Layers.hardSigmoidAndFree(logits);
        } else {
            gate = logits.getNDArrayInternal().sigmoid();
            logits.close();
        }
        NDArray out = x.mul(gate);
        gate.close();
        return out;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = inputShapes[0];
        initializeInSequence(manager, dataType, new Shape(s.get(0), s.get(1), 1, 1), fc1, fc2);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
