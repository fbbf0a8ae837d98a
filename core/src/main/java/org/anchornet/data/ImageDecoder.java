package org.anchornet.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image files with ImageIO, TwelveMonkeys' JPEG plugin taking over the JPEGs the JDK cannot read (CMYK, YCCK,
 * odd markers). A file is accepted only if it decodes completely: decoder warnings such as "premature end of JPEG
 * file" make it a {@link BadImageException}, as PIL refuses truncated files.
 */
public final class ImageDecoder {
    /** A file that is not a complete, decodable image. */
    public static final class BadImageException extends IOException {
        private static final long serialVersionUID = 1L;

        public BadImageException(String message) {
            super(message);
        }
    }

    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    private ImageDecoder() {}

    /**
     * Readers for the file, the JDK's own first: PIL ignores embedded ICC profiles, while ImageIO's decoded images go
     * through them (measured: a mean shift of 5.7 levels on an ICC-tagged photo), so JPEGs are read as raw samples
     * from the JDK's reader. TwelveMonkeys then handles what the JDK cannot decode (CMYK, YCCK, odd markers).
     */
    /** Opens the bytes to decode, once per reader tried. */
    @FunctionalInterface
    private interface Source {
        ImageInputStream open() throws IOException;
    }

    private static List<ImageReader> readersFor(Source source) throws IOException {
        List<ImageReader> readers = new ArrayList<>();
        try (ImageInputStream in = source.open()) {
            Iterator<ImageReader> it = ImageIO.getImageReaders(in);
            while (it.hasNext()) {
                readers.add(it.next());
            }
        }
        readers.sort(java.util.Comparator.comparingInt(r -> r.getClass().getName().startsWith("com.sun.") ? 0 : 1));
        return readers;
    }

    private static RgbImage decodeWith(ImageReader reader, Source source, String file) throws IOException {
        try (ImageInputStream in = source.open()) {
            List<String> warnings = new ArrayList<>();
            reader.setInput(in, true, true);
            reader.addIIOReadWarningListener((origin, warning) -> warnings.add(warning));
            checkSize(reader, file);
            RgbImage image;
            if (reader.getClass().getName().equals(JDK_JPEG_READER)) {
                image = jpegWithoutColorManagement(reader, file);
            } else {
                image = RgbImage.of(reader.read(0));
            }
            for (String warning : warnings) {
                if (isDamage(warning)) {
                    throw new BadImageException(file + ": damaged image (" + warning + ")");
                }
            }
            return image;
        }
    }

    /**
     * Only truncation makes a file damaged, as it does for PIL; decoders also warn about things PIL reads without a
     * word (a CMYK JPEG without an ICC profile, extraneous bytes before a marker).
     */
    private static boolean isDamage(String warning) {
        String w = warning.toLowerCase(java.util.Locale.ROOT);
        return w.contains("premature end") || w.contains("truncat") || w.contains("end of file")
                || w.contains("eof");
    }

    /**
     * PIL's decompression-bomb limit: an image of more than 2 × 89,478,485 pixels is refused before decoding (its
     * declared size would need gigabytes), whatever the file's own size.
     */
    public static final long MAX_PIXELS = 2L * 89_478_485L;

    private static void checkSize(ImageReader reader, String file) throws IOException {
        long w = reader.getWidth(0);
        long h = reader.getHeight(0);
        if (w < 1 || h < 1 || w * h > MAX_PIXELS) {
            throw new BadImageException(file + ": declares " + w + "×" + h + " pixels, more than the " + MAX_PIXELS
                    + " an image may have here (a decompression bomb, or damage)");
        }
    }

    /**
     * The JDK's decoded samples without its ICC conversion, turned into RGB as PIL does: YCbCr with libjpeg's own
     * fixed-point tables; CMYK (and YCCK) as PIL reads Adobe's inverted CMYK, then PIL's CMYK to RGB.
     */
    private static RgbImage jpegWithoutColorManagement(ImageReader reader, String file) throws IOException {
        Raster raster = reader.readRaster(0, null);
        int bands = raster.getNumBands();
        int w = raster.getWidth();
        int h = raster.getHeight();
        if (bands == 4) {
            return cmyk(raster, reader.getImageMetadata(0));
        }
        if (bands != 1 && bands != 3) {
            throw new IOException(bands + "-channel JPEG");
        }
        boolean ycc = bands == 3 && isYCbCr(reader.getImageMetadata(0));
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                if (bands == 1) {
                    out[o] = out[o + 1] = out[o + 2] = (byte) row[x];
                } else if (!ycc) {
                    out[o] = (byte) row[x * 3];
                    out[o + 1] = (byte) row[x * 3 + 1];
                    out[o + 2] = (byte) row[x * 3 + 2];
                } else {
                    int luma = row[x * 3];
                    int cb = row[x * 3 + 1] - 128;
                    int cr = row[x * 3 + 2] - 128;
                    out[o] = (byte) clamp(luma + ((CR_R * cr + HALF) >> SCALE));
                    out[o + 1] = (byte) clamp(luma + ((CB_G * cb + CR_G * cr + HALF) >> SCALE));
                    out[o + 2] = (byte) clamp(luma + ((CB_B * cb + HALF) >> SCALE));
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    // libjpeg's jdcolor.c constants: FIX(x) = round(x · 2^16)
    private static final int SCALE = 16;
    private static final int HALF = 1 << (SCALE - 1);
    private static final int CR_R = 91881;
    private static final int CB_B = 116130;
    private static final int CB_G = -22554;
    private static final int CR_G = -46802;
    private static final String JDK_JPEG_READER = "com.sun.imageio.plugins.jpeg.JPEGImageReader";

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /**
     * A four-channel JPEG: Adobe files (the usual kind) hold inverted CMYK, or YCCK (transform 2), which libjpeg turns
     * into inverted CMYK; PIL reads them as {@code CMYK;I}, then {@link RgbImage#of} applies PIL's CMYK → RGB.
     */
    private static RgbImage cmyk(Raster raster, javax.imageio.metadata.IIOMetadata metadata) {
        org.w3c.dom.Node root = metadata == null ? null : metadata.getAsTree("javax_imageio_jpeg_image_1.0");
        org.w3c.dom.Node adobe = root == null ? null : find(root, "app14Adobe");
        org.w3c.dom.Node transform = adobe == null ? null : adobe.getAttributes().getNamedItem("transform");
        boolean ycck = transform != null && "2".equals(transform.getNodeValue());
        int w = raster.getWidth();
        int h = raster.getHeight();
        java.awt.image.WritableRaster out = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, w, h,
                4, null);
        int[] px = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raster.getPixel(x, y, px);
                if (ycck) {
                    // libjpeg's ycck_cmyk_convert: C, M, Y = 255 − RGB(Y, Cb, Cr); K passes through
                    int cb = px[1] - 128;
                    int cr = px[2] - 128;
                    int r = clamp(px[0] + ((CR_R * cr + HALF) >> SCALE));
                    int g = clamp(px[0] + ((CB_G * cb + CR_G * cr + HALF) >> SCALE));
                    int b = clamp(px[0] + ((CB_B * cb + HALF) >> SCALE));
                    px[0] = 255 - r;
                    px[1] = 255 - g;
                    px[2] = 255 - b;
                }
                for (int c = 0; c < 4; c++) {
                    px[c] = adobe != null ? 255 - px[c] : px[c];
                }
                out.setPixel(x, y, px);
            }
        }
        return RgbImage.ofCmyk(out);
    }

    /** JFIF files are YCbCr; Adobe files say so in their transform flag; libjpeg assumes YCbCr otherwise. */
    private static boolean isYCbCr(javax.imageio.metadata.IIOMetadata metadata) {
        if (metadata == null) {
            return true;
        }
        org.w3c.dom.Node root = metadata.getAsTree("javax_imageio_jpeg_image_1.0");
        org.w3c.dom.Node adobe = find(root, "app14Adobe");
        if (adobe != null && find(root, "app0JFIF") == null) {
            org.w3c.dom.Node transform = adobe.getAttributes().getNamedItem("transform");
            return transform == null || !"0".equals(transform.getNodeValue());
        }
        return true;
    }

    private static org.w3c.dom.Node find(org.w3c.dom.Node node, String name) {
        if (name.equals(node.getNodeName())) {
            return node;
        }
        for (org.w3c.dom.Node child = node.getFirstChild(); child != null; child = child.getNextSibling()) {
            org.w3c.dom.Node found = find(child, name);
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /** Decodes an image file as PIL's {@code Image.open(f).convert('RGB')} reads it. */
    public static RgbImage decode(Path file) throws BadImageException {
        try {
            if (Files.size(file) == 0) {
                throw new BadImageException(file + ": empty file");
            }
        } catch (BadImageException e) {
            throw e;
        } catch (IOException e) {
            throw new BadImageException(file + ": cannot read (" + e.getMessage() + ")");
        }
        return decode(() -> ImageIO.createImageInputStream(file.toFile()), file.toString());
    }

    /** Decodes an image held in memory (e.g. an upload); {@code name} is how messages refer to it. */
    public static RgbImage decode(byte[] data, String name) throws BadImageException {
        if (data.length == 0) {
            throw new BadImageException(name + ": empty");
        }
        return decode(() -> new javax.imageio.stream.MemoryCacheImageInputStream(
                new java.io.ByteArrayInputStream(data)), name);
    }

    private static RgbImage decode(Source source, String name) throws BadImageException {
        try {
            List<ImageReader> readers = readersFor(source);
            if (readers.isEmpty()) {
                throw new BadImageException(name + ": not an image in a known format");
            }
            IOException firstFailure = null;
            for (ImageReader reader : readers) {
                try {
                    return decodeWith(reader, source, name);
                } catch (BadImageException e) {
                    throw e;
                } catch (IOException | RuntimeException e) {
                    // e.g. the JDK's reader on a CMYK JPEG: let the next plugin try
                    firstFailure = firstFailure != null ? firstFailure : new IOException(e.getMessage(), e);
                } finally {
                    reader.dispose();
                }
            }
            throw new BadImageException(name + ": cannot decode (" + firstFailure.getMessage() + ")");
        } catch (BadImageException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new BadImageException(name + ": cannot decode (" + e.getMessage() + ")");
        }
    }
}
