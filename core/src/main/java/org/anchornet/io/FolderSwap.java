package org.anchornet.io;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.nio.file.Path;

/**
 * Exchanges two existing paths in one step with Linux's {@code renameat2(..., RENAME_EXCHANGE)}, so a folder is
 * replaced without an instant at which its name is absent. Java's file API has no such call (a move over a non-empty
 * folder fails, and moving the old one aside first leaves a gap that a kill can fall into), so it is reached through
 * JNA; where the call is missing (another OS, a file system without it) {@link #exchange} says so and callers fall
 * back to two renames.
 */
final class FolderSwap {
    private static final int AT_FDCWD = -100;
    private static final int RENAME_EXCHANGE = 1 << 1;

    private interface LibC extends Library {
        int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath, int flags) throws LastErrorException;
    }

    private static final LibC LIBC = load();

    private FolderSwap() {}

    private static LibC load() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return Native.load("c", LibC.class);
        } catch (UnsatisfiedLinkError e) {
            return null;
        }
    }

    /** Swaps {@code a} and {@code b} (both must exist); false when this system cannot, so nothing was changed. */
    static boolean exchange(Path a, Path b) throws java.io.IOException {
        if (LIBC == null) {
            return false;
        }
        try {
            LIBC.renameat2(AT_FDCWD, a.toString(), AT_FDCWD, b.toString(), RENAME_EXCHANGE);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false; // a C library without renameat2 (glibc < 2.28)
        } catch (LastErrorException e) {
            int errno = e.getErrorCode();
            if (errno == 22 /* EINVAL: file system without exchange */ || errno == 38 /* ENOSYS */) {
                return false;
            }
            throw new java.io.IOException("could not swap " + a + " and " + b + ": errno " + errno, e);
        }
    }
}
