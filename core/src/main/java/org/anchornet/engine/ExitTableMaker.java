package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.anchornet.data.BatchLoader;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.StageCosts;

/**
 * Makes an exit table with the engine's {@link ExitPolicy#never never-exit} policy: every image goes
 * through every stage, and each stage records the max softmax confidence of the summed logits, the predicted class and
 * whether it is right.
 */
public final class ExitTableMaker {
    private final EarlyExitEngine engine;

    public ExitTableMaker(EarlyExitEngine engine) {
        this.engine = engine;
    }

    /** Runs every batch; {@code progress} is told the number of images done after each batch. */
    public ExitTable make(BatchLoader loader, ExitTable.Metadata metadata, IntConsumer progress) {
        int k = engine.stages();
        List<Prediction> rows = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (BatchLoader.Batch batch : loader.epoch(0, 0, false)) {
            if (batch.size() == 0) {
                continue;
            }
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray x = batch.images().toNDArray(scope);
                rows.addAll(engine.run(x, ExitPolicy.never()));
            }
            for (int i = 0; i < batch.size(); i++) {
                labels.add((long) batch.labels()[i]);
                ids.add(batch.ids().get(i));
            }
            progress.accept(rows.size());
        }
        int n = rows.size();
        float[][] conf = new float[k][n];
        boolean[][] correct = new boolean[k][n];
        int[][] pred = new int[k][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                Prediction.StageOutcome o = rows.get(i).stages().get(j);
                conf[j][i] = o.confidence();
                pred[j][i] = o.predicted();
                correct[j][i] = pred[j][i] == labels.get(i);
            }
        }
        ExitTable.Metadata meta = new ExitTable.Metadata(metadata.setup(), metadata.arch(), metadata.patchSize(),
                metadata.iouThresholds(), metadata.stageCosts(), ids);
        return new ExitTable(conf, correct, pred, labels.stream().mapToLong(Long::longValue).toArray(), meta);
    }

    /** What a table made with a cascade records about it. */
    public static ExitTable.Metadata metadata(CascadeConfig config) {
        return metadata(config.arch(), config.patchSize(), config.iouThresholds(), config.costs(), "");
    }

    /**
     * @param prefix before the reference's setup string, e.g. {@code random_} for an ablation's table
     */
    public static ExitTable.Metadata metadata(String arch, int patchSize, List<Double> ious,
            StageCosts costs, String prefix) {
        return new ExitTable.Metadata(prefix + setup(arch, patchSize, ious), java.util.Optional.of(arch),
                java.util.Optional.of(patchSize), ious, java.util.Optional.of(costs.perStage()), List.of());
    }

    /** The reference's setup string: {@code <arch>_<patch>_[iou, iou, ...]}. */
    public static String setup(String arch, int patchSize, List<Double> ious) {
        return arch + "_" + patchSize + "_" + ious;
    }
}
