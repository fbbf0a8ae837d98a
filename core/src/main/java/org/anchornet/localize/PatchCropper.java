package org.anchornet.localize;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.List;

/** Crops proposed windows out of a batch into one patch batch, as tensor slices (no per-pixel work in Java). */
public final class PatchCropper {
    private PatchCropper() {}

    /**
     * @param images N×C×H×W batch
     * @param windows per image, its windows (all of one size)
     * @param rank which proposal of each image to crop (0 = best)
     * @return N×C×P×P: the {@code rank}-th window of every image
     */
    public static NDArray cropRank(NDArray images, List<List<Window>> windows, int rank) {
        return crop(images, windows, rank, rank + 1);
    }

    /** Windows {@code from..to−1} of every image, image-major: N·(to−from)×C×P×P. */
    public static NDArray crop(NDArray images, List<List<Window>> windows, int from, int to) {
        if (windows.size() != images.getShape().get(0)) {
            throw new IllegalArgumentException(windows.size() + " window lists for " + images.getShape().get(0)
                    + " images");
        }
        NDList slices = new NDList();
        try {
            for (int i = 0; i < windows.size(); i++) {
                for (int r = from; r < to; r++) {
                    Window w = windows.get(i).get(r);
                    slices.add(images.get(new NDIndex("{}:{}, :, {}:{}, {}:{}", i, i + 1, w.top(), w.top() + w.size(),
                            w.left(), w.left() + w.size())));
                }
            }
            return NDArrays.concat(slices, 0);
        } finally {
            slices.close();
        }
    }

    /** The five-crop windows (corners, then centre) of a square side for each of n images, torchvision's order. */
    public static List<List<Window>> fiveCrops(int n, int side, int patch) {
        int c = (int) Math.rint((side - patch) / 2.0);
        List<Window> five = List.of(new Window(0, 0, patch), new Window(0, side - patch, patch),
                new Window(side - patch, 0, patch), new Window(side - patch, side - patch, patch),
                new Window(c, c, patch));
        return java.util.Collections.nCopies(n, five);
    }
}
