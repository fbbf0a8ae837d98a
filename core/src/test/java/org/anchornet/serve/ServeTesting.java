package org.anchornet.serve;

import java.nio.file.Path;

/** The server tests' package maker, for tests in other packages. */
public final class ServeTesting {
    private ServeTesting() {}

    /** A small random-weight cascade package in {@code dir}. */
    public static Path makePackage(Path dir) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        return CascadeServerTest.makePackage(dir);
    }
}
