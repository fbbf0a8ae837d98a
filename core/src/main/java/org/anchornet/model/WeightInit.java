package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;
import org.anchornet.model.Architecture.Family;

/**
 * Initializes parameters as each family's PyTorch code does, from a seeded {@link Random} so that a seed gives the
 * same network on every engine and device:
 * AnchorNet: conv ~ N(0, 2/fan_out), conv bias 0, linear ~ N(0, 0.001²), linear bias 0;
 * DenseNet: conv ~ N(0, 2/fan_in), linear ~ U(±1/√fan_in), linear bias 0;
 * ResNet: conv ~ N(0, 2/fan_out), linear weight and bias ~ U(±1/√fan_in);
 * MobileNetV3 and RegNet: conv ~ N(0, 2/fan_out), linear ~ N(0, 0.01²), biases 0;
 * EfficientNet: conv ~ N(0, 2/fan_out), linear ~ U(±1/√out_features), biases 0.
 * Batch norms start at weight 1, bias 0, mean 0, var 1 everywhere.
 */
final class WeightInit {
    private WeightInit() {}

    static void apply(TorchModule network, Family family, long seed) {
        Random random = new Random(seed);
        Map<String, Parameter> parameters = StateDictMapper.parameters(network);
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            NDArray array = e.getValue().getArray();
            long[] shape = array.getShape().getShape();
            int n = Math.toIntExact(array.size());
            // Filled in native memory, which the tensor then uses as its storage: a heap array would be copied into
            // such a buffer anyway, and would leave the JVM's heap pages resident (80 MB for DenseNet-201).
            ByteBuffer storage = ByteBuffer.allocateDirect(Math.multiplyExact(n, Float.BYTES))
                    .order(ByteOrder.nativeOrder());
            FloatBuffer values = storage.asFloatBuffer();
            switch (e.getValue().getType()) {
                case GAMMA, RUNNING_VAR -> {
                    for (int i = 0; i < n; i++) {
                        values.put(i, 1f);
                    }
                }
                case BETA, RUNNING_MEAN -> { }
                case WEIGHT -> fillWeight(values, shape, family, random);
                case BIAS -> {
                    // ResNet keeps torch's default Linear bias init, U(±1/√fan_in); conv biases and others stay 0.
                    Parameter weight = parameters.get(e.getKey().replaceAll("bias$", "weight"));
                    Shape weightShape = weight == null ? null : weight.getArray().getShape();
                    if (family == Family.RESNET && weightShape != null && weightShape.dimension() == 2) {
                        fillUniform(values, 1 / Math.sqrt(weightShape.get(1)), random);
                    }
                }
                default -> throw new IllegalStateException("unexpected parameter " + e.getKey());
            }
            array.set(storage);
        }
    }

    private static void fillWeight(FloatBuffer values, long[] shape, Family family, Random random) {
        if (shape.length == 4) {
            long receptive = shape[2] * shape[3];
            long fanIn = shape[1] * receptive;
            long fanOut = shape[0] * receptive;
            double std = Math.sqrt(2.0 / (family == Family.DENSENET ? fanIn : fanOut)); // kaiming_normal_
            fillNormal(values, std, random);
        } else if (family == Family.ANCHORNET) {
            fillNormal(values, 0.001, random);
        } else if (family == Family.MOBILENET || family == Family.REGNET) {
            fillNormal(values, 0.01, random);
        } else if (family == Family.EFFICIENTNET) {
            fillUniform(values, 1 / Math.sqrt(shape[0]), random);
        } else {
            fillUniform(values, 1 / Math.sqrt(shape[1]), random);
        }
    }

    private static void fillNormal(FloatBuffer values, double std, Random random) {
        for (int i = 0; i < values.capacity(); i++) {
            values.put(i, (float) (random.nextGaussian() * std));
        }
    }

    private static void fillUniform(FloatBuffer values, double bound, Random random) {
        for (int i = 0; i < values.capacity(); i++) {
            values.put(i, (float) ((random.nextDouble() * 2 - 1) * bound));
        }
    }
}
