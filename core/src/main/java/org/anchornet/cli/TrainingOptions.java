package org.anchornet.cli;

import java.nio.file.Path;
import java.util.List;
import org.anchornet.data.Transforms;
import org.anchornet.train.TrainingSettings;
import picocli.CommandLine.Option;

/** Options every training command shares; unset ones keep the reference script's defaults. */
final class TrainingOptions {
    @Option(names = "--epochs", description = "Epochs (reference: 100 for AnchorNet, 30 downstream).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Images per batch (reference: 256 for AnchorNet; 64 here downstream).")
    Integer batchSize;

    @Option(names = "--lr", description = "Initial learning rate (reference: 0.1 AnchorNet, 0.01 downstream).")
    Double lr;

    @Option(names = "--milestones", split = ",", description = "Epochs where the LR drops ×0.1 (AnchorNet: 30,60,90).")
    List<Integer> milestones;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialization, order and augmentation"
            + " (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-dir", defaultValue = "checkpoints", description = "Where checkpoint.pth, best.pth"
            + " and train_log.csv go (default ${DEFAULT-VALUE}).")
    Path checkpointDir;

    @Option(names = "--resume", description = "Continue from checkpoint-dir/checkpoint.pth after its last epoch.")
    boolean resume;

    @Option(names = "--evaluate", description = "Only report validation top-1 of checkpoint-dir/best.pth.")
    boolean evaluate;

    @Option(names = "--augment", defaultValue = "rrc", description = "rrc (RandomResizedCrop + flip, reference),"
            + " flip, or none (default ${DEFAULT-VALUE}).")
    String augment;

    @Option(names = "--input-size", defaultValue = "" + Transforms.DEFAULT_INPUT_SIZE, description = "Training/evaluation input side (default"
            + " ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--bn-recalibration", converter = Converters.PositiveInt.class, description = "Forward passes"
            + " over training batches that recompute batch-norm statistics before each validation (and before"
            + " --evaluate); default 50 for AnchorNet, none downstream.")
    Integer bnRecalibration;

    @Option(names = "--patience", converter = Converters.PositiveInt.class, description = "Train until validation"
            + " top-1 stops improving: lower the rate ×0.1 after this many epochs without a better one, and stop at"
            + " the third such stall (--epochs caps the run).")
    Integer patience;

    @Option(names = "--quiet", description = "No progress bar (one is drawn only on a terminal).")
    boolean quiet;

    @Option(names = "--max-batches", defaultValue = "0", hidden = true, description = "Stop epochs early (smoke runs).")
    int maxBatches;

    TrainingSettings.Builder apply(TrainingSettings.Builder b, DataOptions data, int numClasses) {
        if (epochs != null) {
            b.epochs(epochs);
        }
        if (batchSize != null) {
            b.batchSize(batchSize);
        }
        if (lr != null) {
            b.lr(lr);
        }
        if (milestones != null) {
            b.milestones(milestones);
        }
        if (bnRecalibration != null) {
            b.bnRecalibrationBatches(bnRecalibration);
        }
        if (patience != null) {
            b.patience(patience).schedule(TrainingSettings.Schedule.PLATEAU);
        }
        TrainingSettings.Augment aug;
        try {
            aug = TrainingSettings.Augment.valueOf(augment.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--augment must be rrc, flip or none, got " + augment);
        }
        // Generated canvases are already at the input size; ImageFolder images are resized as torchvision does.
        int evalResize = data.generated() ? inputSize : Transforms.evaluationResize(inputSize);
        return b.seed(seed).checkpointDir(checkpointDir).resume(resume).augment(aug).inputSize(inputSize)
                .evalResize(evalResize).numClasses(numClasses).workers(data.workers()).strict(data.strict)
                .progress(!quiet).maxBatchesPerEpoch(maxBatches);
    }
}
