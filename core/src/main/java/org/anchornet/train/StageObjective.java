package org.anchornet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.anchornet.localize.Glance;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;

/**
 * The patch network's loss on the stages the cascade scores (beyond the paper): for windows 1..k of an image, stage
 * j + 1 predicts from the running sum of the frozen glance network's logits and the patch logits of windows 1..j. The
 * loss averages over the k stages a mix of cross-entropy with the label and, with weight {@code distillation}, the
 * Hinton soft-target term against a frozen full-resolution teacher: T² · KL(softmax(t/T) ‖ softmax(z/T)).
 *
 * <p>The paper trains the patch network on single windows; its logits are then summed with the glance's, a use it
 * never saw in training (GFNet trains its patch path on what the later stages see).
 */
final class StageObjective implements AutoCloseable {
    private final NDManager manager;
    private final TorchModule glance;
    private final TorchModule teacher;
    private final List<TorchModule> foldGlances; // empty unless cross-fitted
    private final int patchSize;
    private final int topK;
    private final double distillation;
    private final double temperature;

    StageObjective(NDManager parent, TrainingSettings settings) throws IOException {
        TrainingSettings.StageTargets t = settings.stageTargets().orElseThrow();
        this.manager = parent.newSubManager();
        try {
            this.glance = Architectures.get(settings.arch()).loadForInference(manager, settings.numClasses(),
                    t.glance());
            this.teacher = Architectures.get(settings.arch()).loadForInference(manager, settings.numClasses(),
                    t.teacher());
            List<TorchModule> folds = new ArrayList<>();
            for (Path weights : t.foldGlances()) {
                folds.add(Architectures.get(settings.arch()).loadForInference(manager, settings.numClasses(),
                        weights));
            }
            this.foldGlances = List.copyOf(folds);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
        this.patchSize = settings.patchSize();
        this.topK = settings.topK();
        this.distillation = t.distillation();
        this.temperature = t.temperature();
    }

    /** What the frozen networks give for a batch of whole images: the glance's logits and the teacher's. */
    record Frozen(NDArray glanceLogits, NDArray teacherLogits) {}

    /**
     * The frozen networks on N whole images (no gradients); the arrays live in the images' manager. With the images'
     * indices in the training set and fold glances, each image's glance logits come from the fold network that did
     * not see it; without indices (validation), from the deployed glance.
     */
    Frozen frozen(NDArray images, int[] trainingIndices, boolean needTeacher) {
        ParameterStore store = new ParameterStore(images.getManager(), false);
        NDArray small = Glance.resize(images, patchSize);
        NDArray g;
        if (trainingIndices == null || foldGlances.isEmpty()) {
            g = last(glance.forward(store, new NDList(small), false));
        } else {
            List<NDArray> byFold = new ArrayList<>();
            for (TorchModule fold : foldGlances) {
                byFold.add(last(fold.forward(store, new NDList(small), false)));
            }
            g = outOfFold(byFold, trainingIndices);
        }
        NDArray t = needTeacher && distillation > 0 ? last(teacher.forward(store, new NDList(images), false)) : null;
        return new Frozen(g.stopGradient(), t == null ? null : t.stopGradient());
    }

    /** Row i of {@code foldLogits[foldOf(indices[i])]}: every image's logits from the network that did not see it. */
    static NDArray outOfFold(List<NDArray> foldLogits, int[] indices) {
        int folds = foldLogits.size();
        NDArray picked = null;
        for (int f = 0; f < folds; f++) {
            float[] mask = new float[indices.length];
            for (int i = 0; i < indices.length; i++) {
                mask[i] = TrainingSettings.StageTargets.foldOf(indices[i], folds) == f ? 1 : 0;
            }
            NDArray logits = foldLogits.get(f);
            NDArray part = logits.mul(logits.getManager().create(mask).expandDims(1));
            picked = picked == null ? part : picked.add(part);
        }
        return picked;
    }

    /**
     * Stage logits N×k×C from the glance's N×C logits and the patch network's (N·k)×C logits of each image's windows
     * 1..k (image-major, as {@code PatchCropper} crops them).
     */
    NDArray stageLogits(NDArray glanceLogits, NDArray patchLogits) {
        return stageLogits(glanceLogits, patchLogits, topK);
    }

    static NDArray stageLogits(NDArray glanceLogits, NDArray patchLogits, int topK) {
        long n = glanceLogits.getShape().get(0);
        long classes = glanceLogits.getShape().get(1);
        NDArray running = patchLogits.reshape(n, topK, classes).cumSum(1);
        return running.add(glanceLogits.expandDims(1));
    }

    /** The mean over images and stages of the mixed loss; {@code labels} are N class indices. */
    NDArray loss(NDArray stageLogits, NDArray labels, NDArray teacherLogits) {
        return loss(stageLogits, labels, teacherLogits, distillation, temperature);
    }

    static NDArray loss(NDArray stageLogits, NDArray labels, NDArray teacherLogits, double distillation,
            double temperature) {
        long classes = stageLogits.getShape().get(2);
        NDArray oneHot = labels.toType(DataType.INT64, false).oneHot((int) classes).toType(DataType.FLOAT32, false)
                .expandDims(1);
        NDArray crossEntropy = stageLogits.logSoftmax(2).mul(oneHot).sum(new int[] {2}).neg().mean();
        if (distillation == 0 || teacherLogits == null) {
            return crossEntropy;
        }
        float t = (float) temperature; // float scalars: a double would make DJL's operands float64
        NDArray soft = teacherLogits.div(t).softmax(1).expandDims(1);
        NDArray logSoft = soft.add(1e-12f).log();
        NDArray kl = soft.mul(logSoft.sub(stageLogits.div(t).logSoftmax(2))).sum(new int[] {2}).mean();
        return crossEntropy.mul((float) (1 - distillation)).add(kl.mul((float) (distillation * t * t)));
    }

    private static NDArray last(NDList out) {
        return out.get(out.size() - 1);
    }

    @Override
    public void close() {
        manager.close();
    }
}
