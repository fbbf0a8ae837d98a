package org.anchornet.model;

import ai.djl.nn.Block;
import ai.djl.nn.norm.BatchNorm;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * Recomputes batch-norm running statistics as the plain mean over a number of training-mode passes (torch's
 * {@code momentum=None}), whatever momentum each layer trains with. With the layers' own momentum a recalibration of
 * 20 passes moved MobileNet-V3's statistics (momentum 0.01) only 18% of the way from their start, and its evaluation
 * stayed at chance while training accuracy rose. Pass k sets every layer's momentum to weigh the new batch 1/k; the
 * layers' own momentum comes back on {@link #close}.
 *
 * <p>DJL keeps a batch norm's momentum private and reads it on every forward pass, so it is set by reflection: no
 * DJL API changes it after building.
 */
public final class BatchNormAveraging implements AutoCloseable {
    private static final Field MOMENTUM;

    static {
        try {
            MOMENTUM = BatchNorm.class.getDeclaredField("momentum");
            MOMENTUM.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final List<BatchNorm> layers = new ArrayList<>();
    private final List<Float> own = new ArrayList<>();
    private int passes;

    private BatchNormAveraging(Block network) {
        collect(network);
        for (BatchNorm bn : layers) {
            own.add(momentum(bn));
        }
    }

    /** Starts averaging every batch norm inside {@code network}. */
    public static BatchNormAveraging start(Block network) {
        return new BatchNormAveraging(network);
    }

    /** Call before each forward pass: the coming batch gets weight 1/k in the mean of k passes. */
    public void nextPass() {
        passes++;
        // DJL's momentum weighs the old statistics: running = momentum · running + (1 − momentum) · batch
        float keep = 1f - 1f / passes;
        for (BatchNorm bn : layers) {
            setMomentum(bn, keep);
        }
    }

    /** Batch norms found. */
    public int layers() {
        return layers.size();
    }

    @Override
    public void close() {
        for (int i = 0; i < layers.size(); i++) {
            setMomentum(layers.get(i), own.get(i));
        }
    }

    private void collect(Block block) {
        if (block instanceof BatchNorm bn) {
            layers.add(bn);
        }
        for (Block child : block.getChildren().values()) {
            collect(child);
        }
    }

    private static float momentum(BatchNorm bn) {
        try {
            return MOMENTUM.getFloat(bn);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void setMomentum(BatchNorm bn, float value) {
        try {
            MOMENTUM.setFloat(bn, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
