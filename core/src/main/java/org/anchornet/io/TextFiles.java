package org.anchornet.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Small text files a command is given (thresholds, class names): read whole, but never more than a cap, so that
 * {@code /dev/zero} or a 50 MB one-line file is a one-line refusal instead of an OutOfMemoryError; strict UTF-8; a
 * missing file or a folder said in words.
 */
public final class TextFiles {
    /** Enough for every list a person writes or a fit prints (a thresholds file of 10,000 vectors is ~1 MB). */
    public static final long DEFAULT_MAX_BYTES = 8L << 20;

    private TextFiles() {}

    /** The file's lines; {@code what} names it in errors ("thresholds file"). */
    public static List<String> readLines(Path file, String what) throws IOException {
        return readString(file, what, DEFAULT_MAX_BYTES).lines().toList();
    }

    public static String readString(Path file, String what, long maxBytes) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IOException(what + " " + file + " is a folder, not a file");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            // reads at most one byte past the cap: the size of a device or pipe is not known beforehand
            bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
        } catch (NoSuchFileException e) {
            throw new IOException(what + " " + file + " does not exist", e);
        }
        if (bytes.length > maxBytes) {
            throw new IOException(what + " " + file + " is larger than " + maxBytes + " bytes; is it the right file?");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(what + " " + file + " is not UTF-8 text", e);
        }
    }
}
