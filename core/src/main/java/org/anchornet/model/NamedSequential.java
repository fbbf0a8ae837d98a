package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;

/** torch's {@code nn.Sequential}: children run in order, registered under their torch names ("0", "conv0", ...). */
public final class NamedSequential extends TorchModule {
    private final List<Block> blocks = new ArrayList<>();

    public NamedSequential add(String torchName, Block block) {
        blocks.add(register(torchName, block));
        return this;
    }

    @Override
    protected NDArray forward(ParameterStore store, NDArray x, boolean training) {
        NDArray out = x;
        for (Block block : blocks) {
            NDArray next = apply(block, store, out, training);
            if (out != x && next != out) {
                out.close();
            }
            out = next;
        }
        return out;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        initializeInSequence(manager, dataType, inputShapes[0], blocks.toArray(Block[]::new));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {outputInSequence(inputShapes[0], blocks.toArray(Block[]::new))};
    }
}
