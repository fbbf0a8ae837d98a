package org.anchornet.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.anchornet.engine.StageTimes.Part;
import org.anchornet.localize.PatchCropper;
import org.anchornet.localize.Proposals;
import org.anchornet.model.TorchModule;

/**
 * One pass of the patch network for flights past the glance: every image is cut on its window of rank stage − 1
 * and, run ahead, on the next ranks too; all the cuts run together in chunks, and the logits go back to each flight,
 * rank by rank. Each chunk's network time is shared among the flights in it by their images and goes to the stage
 * that needed the pass, windows computed ahead included: leaving after a stage then costs what it took to get
 * there, which is what a fit to measured time needs. The stage that later uses a window computed ahead counts the
 * image, with no time.
 */
final class PatchPass {
    private PatchPass() {}

    /**
     * How many windows a flight at {@code stage} computes in a pass: {@code runAhead}, no further than the last
     * stage, and at least two while another stage remains when the whole pass is one image. PyTorch runs a lone
     * image as a pair ({@link TorchModule#infer}), so its next window costs nothing extra.
     */
    static int width(int stage, int stages, int runAhead, int passImages) {
        int wanted = passImages == 1 ? Math.max(2, runAhead) : runAhead;
        return Math.max(1, Math.min(wanted, stages - stage));
    }

    /**
     * The patch network's logits for each flight: {@code widths[j]} arrays of {@code flights[j].size()} rows, for
     * windows of rank {@code stage − 1} onwards, attached to the flight's own manager; at most {@code chunk} windows
     * per call of the network.
     */
    static <T> List<List<NDArray>> run(List<Flight<T>> flights, List<Proposals> windows, int[] widths,
            TorchModule network, int chunk, StageTimes times) {
        List<Integer> stageOf = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        List<Boolean> counted = new ArrayList<>();
        NDList crops = new NDList();
        for (int j = 0; j < flights.size(); j++) {
            Flight<T> f = flights.get(j);
            for (int r = 0; r < widths[j]; r++) {
                long start = System.nanoTime();
                crops.add(PatchCropper.cropRank(f.images, windows.get(j).windows(), f.stage - 1 + r));
                times.add(f.stage, Part.PREPARE, System.nanoTime() - start);
                stageOf.add(f.stage);
                sizes.add(f.size());
                counted.add(r == 0);
            }
        }
        List<List<NDArray>> out = new ArrayList<>();
        try (NDManager pass = NDManager.newBaseManager(flights.get(0).images.getDevice())) {
            long start = System.nanoTime();
            NDArray joint = crops.size() == 1 ? crops.get(0) : NDArrays.concat(crops, 0);
            joint.attach(pass);
            times.add(stageOf.get(0), Part.CARRY, System.nanoTime() - start);
            ParameterStore store = new ParameterStore(pass, false);
            int total = sizes.stream().mapToInt(Integer::intValue).sum();
            NDList parts = new NDList();
            for (int from = 0; from < total; from += chunk) {
                int to = Math.min(total, from + chunk);
                long t = System.nanoTime();
                parts.add(network.infer(store, to - from == total ? joint : joint.get(new NDIndex("{}:{}", from,
                        to))));
                shareNetworkTime(times, stageOf, sizes, counted, from, to, System.nanoTime() - t);
            }
            long split = System.nanoTime();
            NDArray all = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
            int from = 0;
            for (int j = 0; j < flights.size(); j++) {
                Flight<T> f = flights.get(j);
                List<NDArray> ranks = new ArrayList<>();
                for (int r = 0; r < widths[j]; r++) {
                    NDArray mine = crops.size() == 1 ? all : all.get(new NDIndex("{}:{}", from, from + f.size()));
                    mine.attach(f.own);
                    ranks.add(mine);
                    from += f.size();
                }
                out.add(ranks);
            }
            times.add(stageOf.get(0), Part.CARRY, System.nanoTime() - split);
        }
        return out;
    }

    /**
     * A chunk's network time (images {@code from..to−1} of the pass) shared by the cuts in it; only a flight's
     * first window counts its images at the stage.
     */
    private static void shareNetworkTime(StageTimes times, List<Integer> stageOf, List<Integer> sizes,
            List<Boolean> counted, int from, int to, long nanos) {
        int at = 0;
        for (int j = 0; j < sizes.size(); j++) {
            int overlap = Math.min(to, at + sizes.get(j)) - Math.max(from, at);
            if (overlap > 0) {
                long share = nanos * overlap / (to - from);
                if (counted.get(j)) {
                    times.network(stageOf.get(j), overlap, share);
                } else {
                    times.add(stageOf.get(j), Part.NETWORK, share);
                }
            }
            at += sizes.get(j);
        }
    }
}
