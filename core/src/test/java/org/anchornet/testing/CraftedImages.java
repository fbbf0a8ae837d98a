package org.anchornet.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Images crafted for tests of bad input. */
public final class CraftedImages {
    private CraftedImages() {}

    /** A valid 1×1 PNG whose header then declares {@code width × height} pixels (CRC recomputed). */
    public static byte[] pngDeclaring(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] b = out.toByteArray();
        writeInt(b, 16, width);
        writeInt(b, 20, height);
        CRC32 crc = new CRC32();
        crc.update(b, 12, 17);
        writeInt(b, 29, (int) crc.getValue());
        return b;
    }

    private static void writeInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
