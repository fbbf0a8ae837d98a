package org.anchornet.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Writes a file so that readers see either the old content or the complete new one, never a partial file. */
public final class AtomicFiles {
    /** Writes the content of one file to a stream. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Told of each step of an atomic write: {@code temp-written} (the complete temporary file, not yet in place) and
     * {@code moved} (the target replaced). Tests use it to copy the disk state at those instants, as a kill would
     * leave it.
     */
    @FunctionalInterface
    public interface Observer {
        void step(String step, Path target) throws IOException;
    }

    private static volatile Observer observer = (step, target) -> { };

    private AtomicFiles() {}

    /** Installs an observer of write steps (for crash-consistency tests); returns the previous one. */
    public static Observer observe(Observer o) {
        Observer previous = observer;
        observer = o;
        return previous;
    }

    /** Whether a file name is one of the temporaries an interrupted {@link #write} leaves behind. */
    public static boolean isTemporary(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith(".") && name.endsWith(".tmp");
    }

    /**
     * Writes a file through a temporary one in the same folder, flushed to disk and renamed over the target: readers
     * see the old content or the new, never a part. A failure (a full disk, say) names the file and leaves the old one.
     */
    public static void write(Path target, Writer writer) throws IOException {
        try {
            writeAtomically(target.toAbsolutePath(), writer);
        } catch (java.nio.file.FileSystemException e) {
            throw e;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains(target.getFileName().toString())) {
                throw e;
            }
            throw new IOException("could not write " + target + ": " + e.getMessage(), e);
        }
    }

    private static void writeAtomically(Path absolute, Writer writer) throws IOException {
        Path dir = absolute.getParent();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IOException("cannot write " + absolute + ": " + dir + " is a file, not a folder");
        }
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
        try {
            if (Files.getFileStore(temp).supportsFileAttributeView("posix")) {
                // createTempFile makes the file private (0600); results are ordinary files (0644).
                Files.setPosixFilePermissions(temp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            }
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                    OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel),
                            1 << 16)) {
                writer.writeTo(out);
                out.flush();
                channel.force(true);
            }
            observer.step("temp-written", absolute);
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            observer.step("moved", absolute);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    public static void writeString(Path target, String content) throws IOException {
        write(target, out -> out.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Fills a folder. */
    @FunctionalInterface
    public interface FolderWriter {
        void writeInto(Path folder) throws IOException;
    }

    /**
     * Writes a whole folder beside the target and renames it into place, so that readers see the old folder or the
     * new one, never a half-written one. An existing target is replaced only when {@code replaceable} accepts it.
     */
    public static void writeFolder(Path target, FolderWriter writer, java.util.function.Predicate<Path> replaceable)
            throws IOException {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        Files.createDirectories(parent);
        if (Files.exists(absolute) && !replaceable.test(absolute)) {
            throw new IOException(absolute + " exists and is not what this would replace; choose another path");
        }
        Path temp = Files.createTempDirectory(parent, "." + absolute.getFileName() + ".");
        Path old = null;
        try {
            writer.writeInto(temp);
            if (Files.exists(absolute)) {
                old = parent.resolve("." + absolute.getFileName() + ".old-" + System.nanoTime());
                Files.move(absolute, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteTree(temp);
            if (old != null) {
                deleteTree(old);
            }
        }
    }

    /** Deletes a file or folder tree if it exists. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
