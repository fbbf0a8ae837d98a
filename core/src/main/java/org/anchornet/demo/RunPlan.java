package org.anchornet.demo;

import java.util.LinkedHashMap;
import java.util.Map;
import org.anchornet.model.Architectures;
import org.anchornet.engine.StageCostCounter;

/**
 * The steps a run will take, each with a rough share of the run's work, so that the log can say how long the rest
 * should take. A step's work is the multiply-adds its networks would spend at their maximum epochs (a backward pass
 * counted as two forward passes); the run's pace is learnt from the steps already done, as seconds per planned
 * multiply-add, so early stopping and this machine's speed both enter the estimate after the first step; a resumed
 * step counts the recorded time of its earlier epochs too. Rough on purpose: the estimate improves as steps finish.
 */
final class RunPlan {
    private final Map<String, Double> work = new LinkedHashMap<>();
    private final int classes;
    private double doneWork;
    private double doneSeconds;

    RunPlan(DemoSettings s, int classes, int trainImages, int valImages, int testImages) {
        this.classes = classes;
        String arch = s.arch();
        int glance = DemoTraining.glanceSize();
        double anchor = macs(Architectures.ANCHORNET, s.canvas());
        double patch = macs(arch, glance);
        double full = macs(arch, s.canvas());
        double everyStage = (s.topK() + 1) * patch + anchor;
        if (s.budgetMs() != null) { // every stage timed first, as the benchmark times them
            work.put("stage-times", 4.0 * s.benchImages() * (full + everyStage));
        }
        if (s.pretrained() != null) {
            work.put("pretrained", 0.0);
        } else if (s.pretrain().epochs() > 0) {
            work.put("pretrain", training(s.pretrain().epochs(), trainImages, valImages, macs(arch, s.pretrainSide())));
        }
        work.put("anchornet", training(s.anchorNet().epochs(), trainImages, valImages, anchor));
        work.put("glance", training(s.fineTune().epochs(), trainImages, valImages, patch));
        work.put("full", training(s.fineTune().epochs(), trainImages, valImages, full));
        // a window per canvas and step, found by AnchorNet's forward pass
        work.put("patch", training(s.patchFineTune().epochs(), trainImages, valImages, patch) + s.patchFineTune()
                .epochs() * (double) (trainImages + valImages) * anchor);
        if (s.patchRecipe() != DemoSettings.PatchRecipe.PAPER) {
            int folds = s.patchRecipe() == DemoSettings.PatchRecipe.STAGES_CROSS_FIT ? DemoSettings.CROSS_FIT_FOLDS : 0;
            for (int f = 0; f < folds; f++) {
                work.put("glance-fold-" + f, training(s.fineTune().epochs(), trainImages / folds, valImages, patch));
            }
            // every stage's window, the glance and the full network's soft targets per canvas
            int epochs = DemoSettings.stageRefinement(s.patchFineTune()).epochs();
            work.put("patch-refined", training(epochs, trainImages, valImages, s.topK() * patch) + epochs
                    * (double) trainImages * (anchor + patch + full));
        }
        for (int side : s.resolutions()) {
            work.put("resized-" + side, training(s.fineTune().epochs(), trainImages, valImages, macs(arch, side)));
        }
        double resized = s.resolutions().stream().mapToDouble(side -> macs(arch, side)).sum();
        work.put("test", testImages * (full + resized));
        // AnchorNet's, random and centre windows; a stage recipe also scores the paper's patch network
        work.put("tables", (s.patchRecipe() == DemoSettings.PatchRecipe.PAPER ? 3.0 : 4.0) * (valImages + testImages)
                * everyStage);
        work.put("fit", 0.0);
        work.put("package", 0.0);
        work.put("figures", 0.0);
        work.put("bench", 4.0 * s.benchImages() * (full + everyStage)); // warm-up and passes of both sides
    }

    /** Forward and backward passes over the training images, a forward pass over validation, every epoch. */
    private static double training(int epochs, int trainImages, int valImages, double macs) {
        return epochs * (3.0 * trainImages + valImages) * macs;
    }

    private double macs(String arch, int side) {
        return StageCostCounter.network(arch, side, classes);
    }

    /** Step {@code key}'s position (1-based) and the plan's length, e.g. "3/15". */
    String position(String key) {
        int i = 1;
        for (String k : work.keySet()) {
            if (k.equals(key)) {
                return i + "/" + work.size();
            }
            i++;
        }
        throw new IllegalArgumentException("no step " + key + " in the plan");
    }

    /**
     * A step has finished after {@code wallSeconds} in this process, its networks having trained for
     * {@code trainedSeconds} over all their epochs. A resumed step's wall time leaves out the epochs of the process
     * before, so it would make the rest look quick (a converged run resumed late in pretraining said 17 minutes
     * where 2.7 hours were left); its epochs' recorded times are its true cost.
     *
     * @return the seconds counted for the step, which the run's summary records as its time
     */
    double finished(String key, double wallSeconds, double trainedSeconds) {
        double seconds = Math.max(wallSeconds, trainedSeconds);
        doneWork += work.getOrDefault(key, 0.0);
        doneSeconds += seconds;
        return seconds;
    }

    /**
     * The time the steps from {@code key} on should take, at the pace of the steps done so far; null before any step
     * with work has finished.
     */
    Double secondsLeft(String key) {
        if (doneWork <= 0) {
            return null;
        }
        double left = 0;
        boolean from = false;
        for (Map.Entry<String, Double> e : work.entrySet()) {
            from |= e.getKey().equals(key);
            if (from) {
                left += e.getValue();
            }
        }
        return left * doneSeconds / doneWork;
    }
}
