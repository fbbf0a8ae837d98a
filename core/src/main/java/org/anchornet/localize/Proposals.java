package org.anchornet.localize;

import java.util.ArrayList;
import java.util.List;

/**
 * Where to look in each image of a batch: its windows, best first, and the class activation map they were ranked by
 * (h×w, row-major; absent for window sources that do not look at the image).
 */
public record Proposals(List<float[]> cams, List<List<Window>> windows) {
    public Proposals {
        cams = List.copyOf(cams);
        windows = List.copyOf(windows);
        if (!cams.isEmpty() && cams.size() != windows.size()) {
            throw new IllegalArgumentException(cams.size() + " maps for " + windows.size() + " images");
        }
    }

    /** Whether the windows were ranked by a class activation map. */
    public boolean hasCams() {
        return !cams.isEmpty();
    }

    /** The proposals of several consecutive slices of a batch, in order. */
    public static Proposals concat(List<Proposals> parts) {
        List<float[]> cams = new ArrayList<>();
        List<List<Window>> windows = new ArrayList<>();
        for (Proposals p : parts) {
            cams.addAll(p.cams());
            windows.addAll(p.windows());
        }
        boolean all = parts.stream().allMatch(Proposals::hasCams);
        return new Proposals(all ? cams : List.of(), windows);
    }
}
