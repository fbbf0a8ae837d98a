package org.anchornet.data;

/**
 * PIL's {@code Image.resize(size, BILINEAR)} on 8-bit RGB, reproduced in integer arithmetic: a triangle filter whose
 * support widens with the shrink factor (antialiasing), coefficients normalized per output pixel and quantized to 22
 * fractional bits, a horizontal pass then a vertical pass, each rounded and clamped to 8 bits. Written by hand
 * because no Java imaging library resamples as PIL does, and torchvision's preprocessing is defined by PIL's output.
 */
public final class PilResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private PilResize() {}

    public static RgbImage bilinear(RgbImage image, int width, int height) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("resize to " + width + "×" + height);
        }
        // the horizontal pass makes width × the input's height first; neither it nor the result may overflow an array
        if ((long) width * image.height() * 3 > MAX_ARRAY || (long) width * height * 3 > MAX_ARRAY) {
            throw new IllegalArgumentException("a resize of " + image.width() + "×" + image.height() + " to " + width
                    + "×" + height + " pixels is too large for one image");
        }
        RgbImage out = image;
        if (width != image.width()) {
            out = horizontal(out, width);
        }
        if (height != image.height()) {
            out = vertical(out, height);
        }
        return out;
    }

    /** Per output pixel: first input index and fixed-point weights. */
    private record Coefficients(int[] start, int[][] weights) {}

    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 1.0 * filterScale;
        double invScale = 1.0 / filterScale;
        int[] start = new int[outSize];
        int[][] weights = new int[outSize][];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double[] k = new double[xmax];
            double sum = 0;
            for (int x = 0; x < xmax; x++) {
                double w = triangle((x + xmin - center + 0.5) * invScale);
                k[x] = w;
                sum += w;
            }
            int[] fixed = new int[xmax];
            for (int x = 0; x < xmax; x++) {
                double normalized = sum != 0 ? k[x] / sum : k[x];
                fixed[x] = (int) (normalized < 0 ? -0.5 + normalized * (1 << PRECISION_BITS)
                        : 0.5 + normalized * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
            weights[xx] = fixed;
        }
        return new Coefficients(start, weights);
    }

    private static double triangle(double x) {
        x = Math.abs(x);
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static int clip8(long acc) {
        long v = acc >> PRECISION_BITS;
        return (int) Math.max(0, Math.min(255, v));
    }

    private static RgbImage horizontal(RgbImage in, int outWidth) {
        Coefficients c = coefficients(in.width(), outWidth);
        byte[] src = in.pixels();
        byte[] dst = new byte[outWidth * in.height() * 3];
        for (int y = 0; y < in.height(); y++) {
            int row = y * in.width() * 3;
            for (int xx = 0; xx < outWidth; xx++) {
                int[] k = c.weights()[xx];
                int base = row + c.start()[xx] * 3;
                for (int ch = 0; ch < 3; ch++) {
                    long acc = 1L << (PRECISION_BITS - 1);
                    for (int x = 0; x < k.length; x++) {
                        acc += (src[base + x * 3 + ch] & 0xff) * (long) k[x];
                    }
                    dst[(y * outWidth + xx) * 3 + ch] = (byte) clip8(acc);
                }
            }
        }
        return new RgbImage(outWidth, in.height(), dst);
    }

    private static RgbImage vertical(RgbImage in, int outHeight) {
        Coefficients c = coefficients(in.height(), outHeight);
        byte[] src = in.pixels();
        int stride = in.width() * 3;
        byte[] dst = new byte[in.width() * outHeight * 3];
        for (int yy = 0; yy < outHeight; yy++) {
            int[] k = c.weights()[yy];
            int first = c.start()[yy];
            for (int i = 0; i < stride; i++) {
                long acc = 1L << (PRECISION_BITS - 1);
                for (int y = 0; y < k.length; y++) {
                    acc += (src[(first + y) * stride + i] & 0xff) * (long) k[y];
                }
                dst[yy * stride + i] = (byte) clip8(acc);
            }
        }
        return new RgbImage(in.width(), outHeight, dst);
    }
}
