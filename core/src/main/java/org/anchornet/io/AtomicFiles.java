package org.anchornet.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.List;
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
        removeStale(absolute);
        Path temp = Files.createTempFile(dir, tempPrefix(absolute), ".tmp");
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
     * Writes a whole folder beside the target and puts it in place in one step, so that readers, and a kill at any
     * instant, see the old folder or the new one at the target, never a half-written one and never none: the new
     * folder is swapped with the old by {@link FolderSwap} (Linux's renameat2 exchange). Where that call is missing,
     * the old folder is moved aside first; a kill between the two renames then leaves it aside, and the next write
     * to the target puts it back before anything else ({@link #removeStale}). An existing target is replaced only
     * when {@code replaceable} accepts it.
     */
    public static void writeFolder(Path target, FolderWriter writer, java.util.function.Predicate<Path> replaceable)
            throws IOException {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        Files.createDirectories(parent);
        removeStale(absolute);
        if (Files.exists(absolute) && !replaceable.test(absolute)) {
            throw new IOException(absolute + " exists and is not what this would replace; choose another path");
        }
        Path temp = tempFolderBeside(absolute);
        Path old = null;
        try {
            writer.writeInto(temp);
            observer.step("temp-written", absolute);
            if (!Files.exists(absolute)) {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
            } else if (exchangeAllowed && FolderSwap.exchange(temp, absolute)) {
                observer.step("exchanged", absolute); // temp now holds the old folder, deleted below
            } else {
                old = parent.resolve(tempPrefix(absolute) + System.nanoTime() + OLD_SUFFIX);
                Files.move(absolute, old, StandardCopyOption.ATOMIC_MOVE);
                observer.step("moved-aside", absolute);
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
            }
            observer.step("moved", absolute);
        } finally {
            deleteTree(temp);
            if (old != null) {
                deleteTree(old);
            }
        }
    }

    /** Tests turn the exchange off to exercise the two-rename fallback. */
    static volatile boolean exchangeAllowed = true;

    private static final String OLD_SUFFIX = ".old";

    /** An empty folder beside {@code target} for building its replacement, removed by a later write if left. */
    public static Path tempFolderBeside(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Files.createDirectories(absolute.getParent());
        return Files.createTempDirectory(absolute.getParent(), tempPrefix(absolute));
    }

    /** {@code .NAME.PID-}: temporaries carry their writer's process id, so a later write can tell abandoned ones. */
    private static String tempPrefix(Path absolute) {
        return "." + absolute.getFileName() + "." + ProcessHandle.current().pid() + "-";
    }

    /**
     * Cleans up after writers of {@code target} that were killed: their temporaries (a package's may be 90 MB) are
     * deleted, and a folder moved aside by the fallback goes back to the target if the target is missing. Only
     * temporaries of processes no longer running are touched, so concurrent writers keep theirs.
     */
    static void removeStale(Path target) throws IOException {
        removeStale(target, false);
    }

    /** {@link #removeStale(Path)}; tests of a kill's snapshot count this process's temporaries as a dead one's. */
    static void removeStale(Path target, boolean ownAsDead) throws IOException {
        long self = ProcessHandle.current().pid();
        Path parent = target.getParent();
        String prefix = "." + target.getFileName() + ".";
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, prefix + "*")) {
            for (Path entry : entries) {
                String rest = entry.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                if (dash < 1 || !rest.substring(0, dash).chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (!(ownAsDead && pid == self) && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                stale.add(entry);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return;
        }
        for (Path entry : stale) {
            if (entry.toString().endsWith(OLD_SUFFIX) && !Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.move(entry, target, StandardCopyOption.ATOMIC_MOVE); // the kill came between the renames
            } else {
                deleteTree(entry);
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
