package org.anchornet.io;

import java.io.IOException;
import java.nio.file.Path;

/** Opens AtomicFiles' test hooks to tests in other packages. */
public final class AtomicFilesAccess {
    private AtomicFilesAccess() {}

    /** Turns the one-step exchange on or off (off: the two-rename fallback). */
    public static void allowExchange(boolean allowed) {
        AtomicFiles.exchangeAllowed = allowed;
    }

    /**
     * What the next write does first: removes dead writers' temporaries and restores a folder moved aside; with
     * {@code asIfDead}, this process's own temporaries count as a dead writer's (a snapshot of a kill).
     */
    public static void removeStale(Path target, boolean asIfDead) throws IOException {
        AtomicFiles.removeStale(target.toAbsolutePath(), asIfDead);
    }
}
