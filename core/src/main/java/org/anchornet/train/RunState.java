package org.anchornet.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.anchornet.io.Durations;

/**
 * Where a training run stands after some epochs, besides its weights: what a checkpoint records so that a resumed run
 * continues exactly (best so far, the plateau schedule's rate and counters, whether it has finished) and so that the
 * epoch log can be rebuilt from the checkpoint alone.
 *
 * @param bestEpoch the epoch (1-based) whose weights are the best so far, 0 before any
 * @param lr the plateau schedule's current rate (other schedules compute theirs from the epoch)
 * @param stalled epochs since validation top-1 last improved
 * @param drops times the plateau schedule has lowered the rate
 * @param finished whether the run is over: all epochs done, or stopped because validation stopped improving
 */
public record RunState(int epochsDone, double bestTop1, int bestEpoch, long steps, double lr, int stalled, int drops,
        boolean finished, List<EpochResult> history) {
    public RunState {
        history = List.copyOf(history);
    }

    static RunState start(TrainingSettings settings) {
        return new RunState(0, -1, 0, 0, settings.lr(), 0, 0, false, List.of());
    }

    /** A fresh start whose starting weights scored {@code top1}: the best (epoch 0) until an epoch beats them. */
    static RunState startScored(TrainingSettings settings, double top1) {
        return new RunState(0, top1, 0, 0, settings.lr(), 0, 0, false, List.of());
    }

    /** The learning rate of the next epoch. */
    double nextRate(TrainingSettings s) {
        return s.schedule() == TrainingSettings.Schedule.PLATEAU ? lr : s.lrSchedule().rate(epochsDone);
    }

    /** The state after one more epoch, with the schedule's and early stopping's decisions. */
    RunState after(EpochResult epoch, long epochSteps, TrainingSettings s) {
        boolean improved = epoch.valTop1() > bestTop1;
        int stall = improved ? 0 : stalled + 1;
        double rate = lr;
        int dropped = drops;
        boolean done = epochsDone + 1 >= s.epochs();
        if (s.patience() > 0 && stall >= s.patience()) {
            if (s.schedule() == TrainingSettings.Schedule.PLATEAU && dropped < s.plateauDrops()) {
                rate *= 0.1;
                dropped++;
                stall = 0;
            } else {
                done = true;
            }
        }
        List<EpochResult> all = new ArrayList<>(history);
        all.add(epoch);
        return new RunState(epochsDone + 1, improved ? epoch.valTop1() : bestTop1,
                improved ? epochsDone + 1 : bestEpoch, steps + epochSteps, rate, stall, dropped, done, all);
    }

    /**
     * How long the rest of this run should take, for its log: the epochs left if validation stops improving now (the
     * plateau schedule's remaining drops, then early stopping) and at most, at the mean epoch time so far; empty when
     * the run is over.
     */
    String eta(TrainingSettings s) {
        if (finished || history.isEmpty()) {
            return "";
        }
        int most = s.epochs() - epochsDone;
        int ifStalled = most;
        if (s.patience() > 0) {
            int drops = s.schedule() == TrainingSettings.Schedule.PLATEAU ? Math.max(0, s.plateauDrops() - this.drops)
                    : 0;
            ifStalled = Math.min(most, s.patience() - stalled + drops * s.patience());
        }
        double epochSeconds = history.stream().mapToDouble(EpochResult::seconds).average().orElse(0);
        return ifStalled == most ? "  step ETA " + Durations.of(most * epochSeconds)
                : "  step ETA " + Durations.of(ifStalled * epochSeconds) + " (at most " + Durations.of(most
                        * epochSeconds) + ")";
    }

    /** Whether the last epoch gave the best weights so far. */
    boolean lastImproved() {
        return epochsDone > 0 && bestEpoch == epochsDone;
    }

    /** Why the run ended, for its log. */
    String ending(TrainingSettings s) {
        return epochsDone >= s.epochs() ? "all " + s.epochs() + " epochs done"
                : "stopped after epoch " + epochsDone + ": validation top-1 has not improved on " + bestWeights();
    }

    /** Where the best weights come from, for logs: an epoch, or (epoch 0) the starting weights kept. */
    String bestWeights() {
        return bestEpoch == 0 ? "the starting weights" : "epoch " + bestEpoch;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", (long) epochsDone);
        m.put("best_acc", bestTop1);
        m.put("best_epoch", (long) bestEpoch);
        m.put("steps", steps);
        m.put("lr_now", lr);
        m.put("stalled", (long) stalled);
        m.put("drops", (long) drops);
        m.put("finished", finished);
        List<Object> rows = new ArrayList<>();
        for (EpochResult r : history) {
            rows.add(r.toMap());
        }
        m.put("history", rows);
        return m;
    }

    /** Reads what {@link #toMap} wrote; checkpoints of earlier versions lack the newer fields. */
    static RunState fromMap(Map<String, Object> m, TrainingSettings settings) {
        int epochs = number(m, "epoch", null).intValue();
        List<EpochResult> rows = new ArrayList<>();
        if (m.get("history") instanceof List<?> list) {
            for (Object row : list) {
                if (row instanceof Map<?, ?> r) {
                    rows.add(EpochResult.fromMap(r));
                }
            }
        }
        return new RunState(epochs, number(m, "best_acc", null).doubleValue(),
                number(m, "best_epoch", epochs).intValue(), number(m, "steps", 0L).longValue(),
                number(m, "lr_now", settings.lr()).doubleValue(), number(m, "stalled", 0L).intValue(),
                number(m, "drops", 0L).intValue(), m.get("finished") instanceof Boolean b ? b : epochs >= settings.epochs(),
                rows);
    }

    private static Number number(Map<String, Object> m, String key, Number fallback) {
        if (m.get(key) instanceof Number n) {
            return n;
        }
        if (fallback == null) {
            throw new IllegalArgumentException("not a training checkpoint: no '" + key + "'");
        }
        return fallback;
    }
}
