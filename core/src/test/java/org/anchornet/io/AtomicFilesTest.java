package org.anchornet.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path tmp;

    @Test
    void aFailedWriteNamesTheFileKeepsTheOldOneAndLeavesNoTemporary() throws Exception {
        Path file = tmp.resolve("table.pth");
        AtomicFiles.writeString(file, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            out.write(new byte[100]);
            throw new IOException("No space left on device");
        }));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("No space left"),
                e.getMessage());
        assertEquals("old", Files.readString(file));
        try (Stream<Path> files = Files.list(tmp)) {
            assertTrue(files.noneMatch(AtomicFiles::isTemporary));
        }
    }

    @Test
    void aFileWhereAFolderShouldBeIsNamed() throws Exception {
        Path notAFolder = Files.writeString(tmp.resolve("runs"), "x");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.writeString(notAFolder.resolve("a.csv"),
                "y"));
        assertTrue(e.getMessage().contains("is a file, not a folder"), e.getMessage());
    }

    @Test
    void aFolderIsReplacedWholeOrNotAtAll() throws Exception {
        Path target = tmp.resolve("package");
        AtomicFiles.writeFolder(target, dir -> Files.writeString(dir.resolve("a"), "1"), p -> true);
        assertThrows(IOException.class, () -> AtomicFiles.writeFolder(target, dir -> {
            Files.writeString(dir.resolve("a"), "2");
            throw new IOException("disk full");
        }, p -> true));
        assertEquals("1", Files.readString(target.resolve("a")), "the old folder survives a failed write");
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no half-written folder left beside it");
        }
    }
}
