package org.anchornet.data;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;

/**
 * An 8-bit RGB image, row-major and interleaved (what PIL's {@code convert('RGB')} holds). Transforms work on this
 * type so that they can reproduce PIL's integer arithmetic exactly.
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public RgbImage {
        if (width < 1 || height < 1 || pixels.length != width * height * 3) {
            throw new IllegalArgumentException("bad image " + width + "×" + height + " with " + pixels.length + " bytes");
        }
    }

    public static RgbImage blank(int width, int height) {
        return new RgbImage(width, height, new byte[width * height * 3]);
    }

    /**
     * Converts a decoded image to RGB as PIL's {@code convert('RGB')} does: from the stored samples, never through
     * Java's colour management (which brightens linear-gray images, 60 → 133, and applies embedded ICC profiles that
     * PIL ignores). Gray is repeated in each channel, alpha dropped (not composited), palettes looked up, 16-bit gray
     * clipped to 255 and 16-bit colour reduced to its high byte (PIL opens them as "I" and "RGB"), and CMYK turned
     * into RGB with PIL's {@code 255 − min(255, c + k)}.
     */
    public static RgbImage of(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        int colors = cm.getNumColorComponents();
        if (cm instanceof IndexColorModel palette) {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    out[o] = (byte) palette.getRed(row[x]);
                    out[o + 1] = (byte) palette.getGreen(row[x]);
                    out[o + 2] = (byte) palette.getBlue(row[x]);
                }
            }
        } else if (colors == 4) {
            return ofCmyk(raster);
        } else if (colors == 3 && cm.getComponentSize(0) == 8 && interleavedBytes(raster)) {
            copyInterleaved(raster, out);
        } else if (colors == 1 || colors == 3) {
            int bits = cm.getComponentSize(0);
            int[][] bands = new int[colors][w];
            for (int y = 0; y < h; y++) {
                for (int b = 0; b < colors; b++) {
                    raster.getSamples(0, y, w, 1, b, bands[b]);
                }
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    if (colors == 1) {
                        // 1-, 2-, 4-bit gray spans 0–255; 16-bit gray is clipped (PIL's I → L)
                        int g = bits < 8 ? bands[0][x] * 255 / ((1 << bits) - 1) : bands[0][x];
                        byte v = (byte) Math.min(255, g);
                        out[o] = v;
                        out[o + 1] = v;
                        out[o + 2] = v;
                    } else {
                        int shift = Math.max(0, bits - 8); // 16-bit colour: PIL keeps the high byte
                        out[o] = (byte) (bands[0][x] >> shift);
                        out[o + 1] = (byte) (bands[1][x] >> shift);
                        out[o + 2] = (byte) (bands[2][x] >> shift);
                    }
                }
            }
        } else {
            throw new IllegalArgumentException("images with " + colors + " colour components are not supported");
        }
        return new RgbImage(w, h, out);
    }

    /** 8-bit samples interleaved in one byte array (what ImageIO's PNG and JPEG readers make for RGB and RGBA). */
    private static boolean interleavedBytes(Raster raster) {
        return raster.getSampleModel() instanceof PixelInterleavedSampleModel
                && raster.getDataBuffer() instanceof DataBufferByte bytes && bytes.getNumBanks() == 1;
    }

    /**
     * The colour bands read straight from the raster's bytes; the same values {@code getSamples} gives, without its
     * per-sample bounds checks and virtual calls, which made decoding a server's hot spot.
     */
    private static void copyInterleaved(Raster raster, byte[] out) {
        PixelInterleavedSampleModel model = (PixelInterleavedSampleModel) raster.getSampleModel();
        DataBufferByte buffer = (DataBufferByte) raster.getDataBuffer();
        byte[] data = buffer.getData();
        int[] offsets = model.getBandOffsets();
        int pixelStride = model.getPixelStride();
        int scanlineStride = model.getScanlineStride();
        int origin = buffer.getOffset() - raster.getSampleModelTranslateY() * scanlineStride
                - raster.getSampleModelTranslateX() * pixelStride;
        int w = raster.getWidth();
        int h = raster.getHeight();
        for (int y = 0; y < h; y++) {
            int row = origin + (raster.getMinY() + y) * scanlineStride + raster.getMinX() * pixelStride;
            for (int x = 0; x < w; x++) {
                int in = row + x * pixelStride;
                int o = (y * w + x) * 3;
                out[o] = data[in + offsets[0]];
                out[o + 1] = data[in + offsets[1]];
                out[o + 2] = data[in + offsets[2]];
            }
        }
    }

    /** CMYK samples (PIL's convention: 0 = no ink) to RGB with PIL's {@code 255 − min(255, c + k)}. */
    public static RgbImage ofCmyk(Raster cmyk) {
        int w = cmyk.getWidth();
        int h = cmyk.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] px = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                cmyk.getPixel(x, y, px);
                int o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++) {
                    out[o + c] = (byte) (255 - Math.min(255, px[c] + px[3]));
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    public int get(int x, int y, int channel) {
        return pixels[(y * width + x) * 3 + channel] & 0xff;
    }

    public BufferedImage toBufferedImage() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int o = (y * width + x) * 3;
                row[x] = (pixels[o] & 0xff) << 16 | (pixels[o + 1] & 0xff) << 8 | (pixels[o + 2] & 0xff);
            }
            image.setRGB(0, y, width, 1, row, 0, width);
        }
        return image;
    }

    /** The region [left, left+w) × [top, top+h); must lie inside the image. */
    public RgbImage crop(int left, int top, int w, int h) {
        if (left < 0 || top < 0 || w < 1 || h < 1 || left + w > width || top + h > height) {
            throw new IllegalArgumentException("crop (" + left + ", " + top + ", " + w + "×" + h + ") outside a "
                    + width + "×" + height + " image");
        }
        byte[] out = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            System.arraycopy(pixels, ((top + y) * width + left) * 3, out, y * w * 3, w * 3);
        }
        return new RgbImage(w, h, out);
    }

    public RgbImage flipHorizontal() {
        byte[] out = new byte[pixels.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                System.arraycopy(pixels, (y * width + x) * 3, out, (y * width + (width - 1 - x)) * 3, 3);
            }
        }
        return new RgbImage(width, height, out);
    }
}
