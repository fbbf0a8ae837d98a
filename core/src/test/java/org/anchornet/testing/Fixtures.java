package org.anchornet.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The PyTorch-made reference files in {@code shared/fixtures} beside the repository (found from a module folder or the
 * repository root), or in {@code $ANCHORNET_FIXTURES}.
 */
public final class Fixtures {
    private Fixtures() {}

    public static Path dir() {
        String override = System.getenv("ANCHORNET_FIXTURES");
        Path dir = override != null ? Path.of(override) : Path.of("..", "shared", "fixtures");
        if (override == null && !Files.isDirectory(dir)) {
            dir = Path.of("..", "..", "shared", "fixtures"); // tests run in the module's folder
        }
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("reference fixtures not found at " + dir.toAbsolutePath()
                    + "; clone the repository beside shared/ or set ANCHORNET_FIXTURES");
        }
        return dir;
    }

    public static Path file(String name) {
        Path p = dir().resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("missing fixture " + p.toAbsolutePath());
        }
        return p;
    }
}
