package org.anchornet.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.IntFunction;
import org.anchornet.torchio.StateDicts;

/**
 * A registered network: its name (as in {@code --arch}), family, and a builder taking the number of classes.
 *
 * @param name the registry name, e.g. {@code densenet201}
 * @param family decides the weight initialization torch uses for it
 * @param factory builds an uninitialized network for a number of classes
 */
public record Architecture(String name, Family family, IntFunction<TorchModule> factory) {
    /** Model families, each with torch's own initialization scheme. */
    public enum Family {
        ANCHORNET,
        DENSENET,
        RESNET,
        MOBILENET,
        EFFICIENTNET,
        REGNET
    }

    /** Side of the square input used to create parameters; spatial size does not change parameter shapes. */
    private static final int INIT_INPUT = 224;

    /** Creates the network and loads a checkpoint or state dict into it (wrappers and prefixes undone). */
    public TorchModule load(NDManager manager, int numClasses, java.nio.file.Path checkpoint) throws java.io.IOException {
        // Every parameter is about to be replaced (a missing key is an error), so no seeded initialization first.
        TorchModule network = createUninitialized(manager, numClasses);
        try {
            StateDictMapper.load(network, StateDicts.load(checkpoint));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(checkpoint + " does not fit " + name + " with " + numClasses
                    + " classes: " + e.getMessage(), e);
        }
        return network;
    }

    /** {@link #load}, then {@link TorchModule#foldBatchNormsInPlace folded in place}: for networks that never train. */
    public TorchModule loadForInference(NDManager manager, int numClasses, java.nio.file.Path checkpoint)
            throws java.io.IOException {
        return load(manager, numClasses, checkpoint).foldBatchNormsInPlace();
    }

    public TorchModule build(int numClasses) {
        return factory.apply(numClasses);
    }

    /** Builds the network and creates its parameters in {@code manager}, initialized as torch would for a seed. */
    public TorchModule create(NDManager manager, int numClasses, long seed) {
        TorchModule network = createUninitialized(manager, numClasses);
        WeightInit.apply(network, family, seed);
        return network;
    }

    /** The network with its parameters allocated (as DJL's default initializer leaves them), for loading into. */
    private TorchModule createUninitialized(NDManager manager, int numClasses) {
        TorchModule network = build(numClasses);
        network.initialize(manager, DataType.FLOAT32, new Shape(1, 3, INIT_INPUT, INIT_INPUT));
        return network;
    }
}
