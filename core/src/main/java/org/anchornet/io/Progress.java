package org.anchornet.io;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress bars on standard error, the same style everywhere; null when disabled (try-with-resources accepts it).
 * A bar redraws its line with carriage returns, which in a log file (nohup, {@code > run.log 2>&1}, a CI job) becomes
 * one unreadable line per update; so bars are drawn only in an interactive session, and the per-epoch and per-step
 * lines, which every command prints anyway, are the log's progress.
 */
public final class Progress {
    private Progress() {}

    public static ProgressBar bar(String task, long total, boolean enabled) {
        if (!enabled || !interactive()) {
            return null;
        }
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).setUpdateIntervalMillis(500).showSpeed()
                .build();
    }

    /** Java 17 has a console only when standard input and output are both a terminal: a session a person watches. */
    static boolean interactive() {
        return System.console() != null;
    }
}
