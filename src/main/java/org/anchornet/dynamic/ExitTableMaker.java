package org.anchornet.dynamic;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.anchornet.data.BatchLoader;
import org.anchornet.localize.Glance;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.WindowSource;
import org.anchornet.localize.PatchCropper;
import org.anchornet.model.TorchModule;

/**
 * Makes an exit table: for every image, stage 1 is the resized-image network on the glance; stage j > 1 adds the
 * patch network's logits on patch j−1 to the running sum. Each stage records the max softmax confidence of the summed
 * logits, the predicted class and whether it is right.
 */
public final class ExitTableMaker {
    private final TorchModule resizedNetwork;
    private final TorchModule patchNetwork;
    private final WindowSource windows;
    private final int patchSize;

    public ExitTableMaker(TorchModule resizedNetwork, TorchModule patchNetwork, Localizer localizer) {
        this(resizedNetwork, patchNetwork, WindowSource.anchorNet(localizer));
    }

    /** With another window source, e.g. random or centre windows for ablations. */
    public ExitTableMaker(TorchModule resizedNetwork, TorchModule patchNetwork, WindowSource windows) {
        this.resizedNetwork = resizedNetwork;
        this.patchNetwork = patchNetwork;
        this.windows = windows;
        this.patchSize = windows.proposer().patchSize();
    }

    public int stages() {
        return windows.proposer().topK() + 1;
    }

    /** Runs every batch; {@code progress} is told the number of images done after each batch. */
    public ExitTable make(BatchLoader loader, NDManager manager, ExitTable.Metadata metadata, IntConsumer progress) {
        int k = stages();
        List<float[]> confidence = new ArrayList<>();
        List<int[]> predicted = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        int done = 0;
        for (BatchLoader.Batch batch : loader.epoch(0, 0, false)) {
            if (batch.size() == 0) {
                continue;
            }
            try (NDManager scope = manager.newSubManager()) {
                int side = (int) Math.round(Math.sqrt(batch.valuesPerImage() / 3.0));
                NDArray x = scope.create(batch.data(), new Shape(batch.size(), 3, side, side));
                float[][] rows = new float[batch.size()][k];
                int[][] classes = new int[batch.size()][k];
                stagesOf(x, scope, rows, classes);
                for (int i = 0; i < batch.size(); i++) {
                    confidence.add(rows[i]);
                    predicted.add(classes[i]);
                    labels.add((long) batch.labels()[i]);
                    ids.add(batch.ids().get(i));
                }
            }
            done += batch.size();
            progress.accept(done);
        }
        int n = confidence.size();
        float[][] conf = new float[k][n];
        boolean[][] correct = new boolean[k][n];
        int[][] pred = new int[k][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < k; j++) {
                conf[j][i] = confidence.get(i)[j];
                pred[j][i] = predicted.get(i)[j];
                correct[j][i] = pred[j][i] == labels.get(i);
            }
        }
        ExitTable.Metadata meta = new ExitTable.Metadata(metadata.setup(), metadata.arch(), metadata.patchSize(),
                metadata.iouThresholds(), metadata.stageCosts(), ids);
        return new ExitTable(conf, correct, pred, labels.stream().mapToLong(Long::longValue).toArray(), meta);
    }

    private void stagesOf(NDArray x, NDManager scope, float[][] rows, int[][] classes) {
        ParameterStore store = new ParameterStore(scope, false);
        NDArray glance = Glance.resize(x, patchSize);
        NDArray sum = resizedNetwork.forward(store, new NDList(glance), false).singletonOrThrow();
        record(sum, 0, rows, classes);
        List<List<org.anchornet.model.ReceptiveField.Window>> found = windows.windows(store, x);
        for (int j = 0; j < stages() - 1; j++) {
            NDArray patches = PatchCropper.cropRank(x, found, j);
            NDArray logits = patchNetwork.forward(store, new NDList(patches), false).singletonOrThrow();
            sum = sum.add(logits);
            record(sum, j + 1, rows, classes);
        }
    }

    private static void record(NDArray logits, int stage, float[][] rows, int[][] classes) {
        float[] conf = logits.softmax(1).max(new int[] {1}).toFloatArray();
        long[] top = logits.argMax(1).toType(DataType.INT64, false).toLongArray();
        for (int i = 0; i < conf.length; i++) {
            rows[i][stage] = conf[i];
            classes[i][stage] = (int) top[i];
        }
    }

    /** The reference's setup string: {@code <arch>_<patch>_[iou, iou, ...]}. */
    public static String setup(String arch, int patchSize, List<Double> ious) {
        return arch + "_" + patchSize + "_" + ious;
    }

}
