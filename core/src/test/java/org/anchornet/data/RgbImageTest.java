package org.anchornet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The direct byte path for interleaved rasters reads the same pixels as the per-sample path, windows included. */
class RgbImageTest {
    @Test
    void interleavedRastersReadAsTheirRgbValues() {
        for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR}) {
            BufferedImage image = randomImage(type, 37, 23, type);
            assertArrayEquals(expected(image), RgbImage.of(image).pixels(), "type " + type);
            // a window of a larger image: its raster starts inside the shared buffer
            BufferedImage window = image.getSubimage(5, 3, 20, 11);
            assertArrayEquals(expected(window), RgbImage.of(window).pixels(), "window of type " + type);
        }
    }

    @Test
    void normalizationTableMatchesTheDirectFormula() {
        BufferedImage image = randomImage(BufferedImage.TYPE_3BYTE_BGR, 16, 9, 7);
        RgbImage rgb = RgbImage.of(image);
        float[] means = {0.485f, 0.456f, 0.406f};
        float[] stds = {0.229f, 0.224f, 0.225f};
        float[] out = Transforms.toNormalizedChw(rgb, means, stds);
        int plane = 16 * 9;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < plane; i++) {
                float direct = ((rgb.pixels()[i * 3 + c] & 0xff) / 255f - means[c]) / stds[c];
                org.junit.jupiter.api.Assertions.assertEquals(direct, out[c * plane + i], 0f);
            }
        }
    }

    private static BufferedImage randomImage(int type, int w, int h, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                image.setRGB(x, y, random.nextInt());
            }
        }
        return image;
    }

    private static byte[] expected(BufferedImage image) {
        byte[] out = new byte[image.getWidth() * image.getHeight() * 3];
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                int o = (y * image.getWidth() + x) * 3;
                out[o] = (byte) (rgb >> 16);
                out[o + 1] = (byte) (rgb >> 8);
                out[o + 2] = (byte) rgb;
            }
        }
        return out;
    }
}
