package org.anchornet.localize;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.anchornet.model.AnchorNet;

/** AnchorNet + CAM + proposals for a batch: where to look in each image. */
public final class Localizer {
    private final AnchorNet anchorNet;
    private final PatchProposer proposer;

    public Localizer(AnchorNet anchorNet, PatchProposer proposer) {
        this.anchorNet = anchorNet;
        this.proposer = proposer;
    }

    /**
     * AnchorNet proposing its top {@code iouThresholds.size() + 1} windows on {@code inputSize} px images, the IoU
     * threshold of each greedy suppression step given: how a cascade, patch training and the visualizer all build it.
     */
    public static Localizer of(AnchorNet anchorNet, int inputSize, List<Double> iouThresholds) {
        return new Localizer(anchorNet, new PatchProposer(anchorNet.receptiveField(), inputSize,
                iouThresholds.size() + 1, iouThresholds));
    }

    public PatchProposer proposer() {
        return proposer;
    }

    /** Runs AnchorNet in inference mode on an N×3×S×S batch; intermediate arrays are freed before returning. */
    public Proposals localize(ParameterStore store, NDArray images) {
        return localize(store, images, nanos -> { });
    }

    /** {@link #localize}, telling {@code networkNanos} how long AnchorNet's own pass took. */
    public Proposals localize(ParameterStore store, NDArray images, LongConsumer networkNanos) {
        float[] flat;
        long start = System.nanoTime();
        try (AnchorNet.Outputs out = anchorNet.outputs(store, images)) {
            networkNanos.accept(System.nanoTime() - start);
            try (NDArray cam = ClassActivationMap.compute(out.features(), out.classifierWeight(), out.logits())) {
                flat = cam.toFloatArray();
            }
        }
        int n = (int) images.getShape().get(0);
        int cells = flat.length / n;
        List<float[]> cams = new ArrayList<>(n);
        List<List<Window>> windows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[] cam = new float[cells];
            System.arraycopy(flat, i * cells, cam, 0, cells);
            cams.add(cam);
            windows.add(proposer.propose(cam));
        }
        return new Proposals(cams, windows);
    }
}
