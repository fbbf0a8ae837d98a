package org.anchornet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.training.optimizer.Optimizer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Stochastic gradient descent exactly as {@code torch.optim.SGD} computes it (dampening 0):
 * d = g + wd·w; b = d on the first step, else b = μ·b + d; step = d + μ·b (Nesterov) or b; w −= lr·step.
 * Written by hand because DJL's {@code Sgd} folds the learning rate into the momentum buffer (so a scheduled
 * learning rate diverges from torch) and has no Nesterov variant, and {@code Nag} is not supported on the PyTorch
 * engine. Momentum buffers are kept per parameter id and can be saved and restored with a checkpoint.
 */
public final class TorchSgd extends Optimizer {
    private final float momentum;
    private final float weightDecay;
    private final boolean nesterov;
    private volatile float learningRate;
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();
    private final java.util.Set<String> skipped = new java.util.HashSet<>();

    private TorchSgd(Builder builder) {
        super(builder);
        if (builder.nesterov && builder.momentum <= 0) {
            throw new IllegalArgumentException("Nesterov momentum requires momentum > 0");
        }
        this.momentum = builder.momentum;
        this.weightDecay = builder.weightDecay;
        this.nesterov = builder.nesterov;
        this.learningRate = builder.learningRate;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Sets the learning rate for the following steps (the schedule lives with the trainer, as in torch). */
    public void setLearningRate(float learningRate) {
        this.learningRate = learningRate;
    }

    public float learningRate() {
        return learningRate;
    }

    /** Parameters to leave alone, as torch skips parameters whose gradient is None (never used in forward). */
    public void skipParameters(java.util.Set<String> parameterIds) {
        skipped.addAll(parameterIds);
    }

    @Override
    public synchronized void update(String parameterId, NDArray weight, NDArray grad) {
        if (skipped.contains(parameterId)) {
            return;
        }
        // Each DJL call costs a few microseconds of JNI and bookkeeping, which adds up over a hundred parameters a
        // step, so the gradient handle doubles as the scratch array (it is zeroed below in any case).
        NDArray d = grad;
        if (weightDecay != 0) {
            try (NDArray decay = weight.mul(weightDecay)) {
                d.addi(decay);
            }
        }
        NDArray step = d;
        if (momentum != 0) {
            NDArray buffer = buffers.get(parameterId);
            if (buffer == null) {
                buffer = d.duplicate();
                buffers.put(parameterId, buffer);
            } else {
                buffer.muli(momentum).addi(d);
            }
            if (nesterov) {
                try (NDArray lookAhead = buffer.mul(momentum)) {
                    d.addi(lookAhead);
                }
            } else {
                step = buffer;
            }
        }
        if (step == d) {
            weight.subi(d.muli(learningRate));
        } else {
            try (NDArray delta = step.mul(learningRate)) {
                weight.subi(delta);
            }
        }
        // torch's zero_grad(), done on the parameter's own gradient whether or not the trainer passed that one.
        try (NDArray own = weight.getGradient()) {
            own.subi(own);
        }
    }

    /** Momentum buffers by parameter id (views owned by the optimizer; do not close). */
    public Map<String, NDArray> momentumBuffers() {
        return Collections.unmodifiableMap(buffers);
    }

    /** Restores a momentum buffer, e.g. from a checkpoint; the array is owned by the optimizer from now on. */
    public synchronized void setMomentumBuffer(String parameterId, NDArray buffer) {
        NDArray old = buffers.put(parameterId, buffer);
        if (old != null && old != buffer) {
            old.close();
        }
    }

    /** Builder with torch's defaults (momentum 0, no weight decay, no Nesterov). */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private float learningRate = 0.1f;
        private float momentum;
        private float weightDecay;
        private boolean nesterov;

        public Builder setLearningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder optMomentum(float momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder optWeightDecay(float weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder optNesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        public TorchSgd build() {
            return new TorchSgd(this);
        }
    }
}
