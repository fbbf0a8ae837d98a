package org.anchornet.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Base of every model block here. Children are registered under their PyTorch attribute names, so the path of a
 * parameter in the block tree is its state-dict key (see {@link StateDictMapper}). Forward passes close their own
 * intermediates as soon as they are used: DJL would otherwise keep every activation of a batch alive until the
 * batch's manager closes (autograd keeps what it needs through its own references).
 */
public abstract class TorchModule extends AbstractBlock {
    private final java.util.List<FoldableBatchNorm> foldables = new java.util.ArrayList<>();
    private boolean folded;
    private boolean foldedInPlace;

    protected TorchModule() {
        super((byte) 1);
    }

    /**
     * The attribute name of the network's classifier head (its parameters' state-dict keys start with it and a dot),
     * or null for a part of a network. Fine-tuning to another number of classes replaces the head; callers find it
     * here rather than by guessing key prefixes.
     */
    public String headName() {
        return null;
    }

    /** Whether a state-dict key names a parameter of the classifier head. */
    public final boolean isHeadParameter(String key) {
        String head = headName();
        return head != null && key.startsWith(head + ".");
    }

    /** State-dict keys of the classifier head's parameters, in the network's order. */
    public final java.util.List<String> headParameterNames() {
        return StateDictMapper.parameters(this).keySet().stream().filter(this::isHeadParameter).toList();
    }

    /** Declares that {@code conv} feeds {@code batchNorm} directly (both already registered), so the pair can fold. */
    protected final ConvBatchNorm convBatchNorm(Layers.Conv conv, Block batchNorm) {
        ConvBatchNorm pair = new ConvBatchNorm(conv, batchNorm);
        foldables.add(pair);
        return pair;
    }

    /** Declares a registered batch norm whose output goes only through a ReLU, so that it can fold. */
    final BatchNormRelu batchNormRelu(Block batchNorm) {
        BatchNormRelu pair = new BatchNormRelu(batchNorm);
        foldables.add(pair);
        return pair;
    }

    /** Runs a declared conv + batch norm pair, folded or not. */
    protected static NDArray apply(ConvBatchNorm pair, ParameterStore store, NDArray x, boolean training) {
        return pair.apply(store, x, training);
    }

    /**
     * Merges every batch norm that directly follows a convolution into that convolution, and turns each declared
     * batch norm + ReLU ({@link BatchNormRelu}) into a per-channel scale and shift, for inference: the same function
     * (to float rounding) with one pass over each activation fewer, or one buffer fewer. Training passes are refused
     * until {@link #unfoldBatchNorms}. Call again after the weights change (e.g. loading a checkpoint) to refold.
     */
    public final TorchModule foldBatchNorms() {
        return fold(false);
    }

    /**
     * {@link #foldBatchNorms} for networks that will only ever run inference: the folded weights overwrite the
     * convolutions' own, so no second copy is held. The network cannot be unfolded, trained or saved afterwards.
     */
    public final TorchModule foldBatchNormsInPlace() {
        return fold(true);
    }

    private TorchModule fold(boolean overwrite) {
        forEachModule(this, m -> {
            m.foldables.forEach(pair -> pair.fold(overwrite));
            m.folded = true;
            m.foldedInPlace |= overwrite;
        });
        return this;
    }

    /** Whether {@link #foldBatchNormsInPlace} ran: the parameters no longer hold the network's torch state dict. */
    public final boolean isFoldedInPlace() {
        return foldedInPlace;
    }

    /** Drops the folded copies; the network computes conv and batch norm separately again and can be trained. */
    public final void unfoldBatchNorms() {
        forEachModule(this, m -> {
            m.foldables.forEach(FoldableBatchNorm::unfold);
            m.folded = false;
        });
    }

    private static void forEachModule(Block block, java.util.function.Consumer<TorchModule> action) {
        if (block instanceof TorchModule module) {
            action.accept(module);
        }
        for (Block child : block.getChildren().values()) {
            forEachModule(child, action);
        }
    }

    /** Refuses a training pass of a folded network before anything runs (a partial pass would move BN statistics). */
    protected final void checkTrainable(boolean training) {
        if (training && folded) {
            throw new IllegalStateException("this network was folded for inference (batch norms merged into their"
                    + " convolutions); unfold it, or build or load a fresh copy, to train it");
        }
    }

    /** Registers a child under its torch attribute name (e.g. {@code conv1}, {@code 0}, {@code denselayer3}). */
    protected final <B extends Block> B register(String torchName, B block) {
        return addChildBlock(torchName, block);
    }

    /** Runs a single-input, single-output child, recording the call for the cost counter when one is active. */
    protected static NDArray apply(Block child, ParameterStore store, NDArray x, boolean training) {
        NDArray y = child.forward(store, new NDList(x), training).singletonOrThrow();
        CostCounter.record(child, x.getShape(), y.getShape());
        return y;
    }

    /** Runs a child and closes its input, which the caller created and no longer needs. */
    protected static NDArray applyAndFree(Block child, ParameterStore store, NDArray x, boolean training) {
        NDArray y = apply(child, store, x, training);
        if (y != x) {
            x.close();
        }
        return y;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        checkTrainable(training);
        return new NDList(forward(store, inputs.singletonOrThrow(), training));
    }

    /** The block's computation on one array; must not close {@code x}. */
    protected abstract NDArray forward(ParameterStore store, NDArray x, boolean training);

    /** Initializes children in registration order, each on the previous child's output shape. */
    protected final Shape initializeInSequence(NDManager manager, DataType dataType, Shape input, Block... blocks) {
        Shape[] shapes = {input};
        for (Block block : blocks) {
            block.initialize(manager, dataType, shapes);
            shapes = block.getOutputShapes(shapes);
        }
        return shapes[0];
    }

    /** Output shape of children applied in order. */
    protected static Shape outputInSequence(Shape input, Block... blocks) {
        Shape[] shapes = {input};
        for (Block block : blocks) {
            shapes = block.getOutputShapes(shapes);
        }
        return shapes[0];
    }
    /**
     * The network's output in inference mode. On the CPU a lone image runs as a pair: PyTorch sends the 3×3 convolutions of a
     * one-image batch whose input holds at most 20,480 values (ResNet's last two stages at 95 px) to its im2col
     * path, which took 24 of ResNet-18's 28 ms per 95 px image; as a pair every layer takes oneDNN and both cost
     * less than the lone image did (docs/benchmarks.md, "One image at a time"). That is what a server at low load
     * and the last survivors of a batch run.
     */
    public NDArray infer(ParameterStore store, NDArray input) {
        if (input.getShape().get(0) != 1 || input.getDevice().isGpu()) {
            return forward(store, new NDList(input), false).singletonOrThrow();
        }
        try (NDArray pair = input.repeat(0, 2);
                NDArray both = forward(store, new NDList(pair), false).singletonOrThrow()) {
            return both.get(new ai.djl.ndarray.index.NDIndex("0:1"));
        }
    }

}
