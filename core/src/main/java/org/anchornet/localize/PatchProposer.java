package org.anchornet.localize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.anchornet.model.ReceptiveField;

/**
 * Proposes the k windows to look at, from a class activation map: cells in descending CAM order (ties by cell index,
 * so results are deterministic), each cell's window accepted when its IoU with every window accepted so far is at
 * most the threshold for that position ({@code iouThresholds[i]} gates the (i+2)-th window).
 *
 * <p>Unlike the reference implementation, every window after the first is tested: the reference skips the IoU test
 * for cell (0, 0) because it compares the cell index, not the number accepted, with 0. When fewer than k windows pass
 * the tests, the best remaining windows fill the list so every image yields exactly k patches.
 */
public final class PatchProposer {
    /** Windows per image when nothing says otherwise: the reference's downstream training and the demo use four. */
    public static final int DEFAULT_TOP_K = 4;
    /** IoU threshold between windows when nothing says otherwise (the reference's). */
    public static final double DEFAULT_IOU = 0.3;

    private final ReceptiveField field;
    private final int featureSide;
    private final int topK;
    private final double[] iouThresholds;

    /**
     * @param field window size and stride of a feature cell
     * @param inputSize side of the (square) input image
     * @param topK windows per image
     * @param iouThresholds one per window after the first (k−1 values), each in [0, 1]
     */
    public PatchProposer(ReceptiveField field, int inputSize, int topK, List<Double> iouThresholds) {
        if (field.size() > inputSize) {
            throw new IllegalArgumentException("patch size " + field.size() + " px is larger than the " + inputSize
                    + " px input");
        }
        this.field = field;
        this.featureSide = field.featureSize(inputSize);
        int cells = featureSide * featureSide;
        if (topK < 1 || topK > cells) {
            throw new IllegalArgumentException("topk must be between 1 and the " + cells + " cells of the "
                    + featureSide + "×" + featureSide + " feature map, got " + topK);
        }
        if (iouThresholds.size() != topK - 1) {
            throw new IllegalArgumentException("need " + (topK - 1) + " IoU thresholds for top-" + topK + " (one per"
                    + " window after the first), got " + iouThresholds.size());
        }
        for (double t : iouThresholds) {
            if (!(t >= 0 && t <= 1)) {
                throw new IllegalArgumentException("IoU thresholds must lie in [0, 1], got " + t);
            }
        }
        this.topK = topK;
        this.iouThresholds = iouThresholds.stream().mapToDouble(Double::doubleValue).toArray();
    }

    public int topK() {
        return topK;
    }

    public int featureSide() {
        return featureSide;
    }

    public int patchSize() {
        return field.size();
    }

    /** Windows for one image, best first, from its h×w CAM in row-major order. */
    public List<Window> propose(float[] cam) {
        if (cam.length != featureSide * featureSide) {
            throw new IllegalArgumentException("CAM has " + cam.length + " cells, expected " + featureSide + "×"
                    + featureSide);
        }
        Integer[] order = new Integer[cam.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // Stable sort: equal scores keep cell order, so ties break towards the top-left cell.
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -cam[i]));
        List<Window> accepted = new ArrayList<>(topK);
        boolean[] taken = new boolean[cam.length];
        for (int cell : order) {
            Window candidate = Window.ofCell(field, cell / featureSide, cell % featureSide);
            if (accepted.isEmpty() || passes(candidate, accepted)) {
                accepted.add(candidate);
                taken[cell] = true;
                if (accepted.size() == topK) {
                    return accepted;
                }
            }
        }
        for (int cell : order) {
            if (!taken[cell]) {
                accepted.add(Window.ofCell(field, cell / featureSide, cell % featureSide));
                if (accepted.size() == topK) {
                    break;
                }
            }
        }
        return accepted;
    }

    private boolean passes(Window candidate, List<Window> accepted) {
        double limit = iouThresholds[accepted.size() - 1];
        for (Window w : accepted) {
            if (iou(w, candidate) > limit) {
                return false;
            }
        }
        return true;
    }

    /**
     * IoU of two windows on inclusive pixel bounds, measuring a side as {@code last − first} as the reference does
     * (so a 95 px window counts as 94 wide); this keeps proposals identical to the published ones.
     */
    public static double iou(Window a, Window b) {
        double w = overlap(a.left(), a.rightInclusive(), b.left(), b.rightInclusive());
        double h = overlap(a.top(), a.bottomInclusive(), b.top(), b.bottomInclusive());
        if (w <= 0 || h <= 0) {
            return 0;
        }
        double areaA = (double) (a.rightInclusive() - a.left()) * (a.bottomInclusive() - a.top());
        double areaB = (double) (b.rightInclusive() - b.left()) * (b.bottomInclusive() - b.top());
        double inter = w * h;
        return inter / (areaA + areaB - inter);
    }

    private static double overlap(int start1, int end1, int start2, int end2) {
        return (end1 - start1) + (end2 - start2) - (Math.max(end1, end2) - Math.min(start1, start2));
    }
}
