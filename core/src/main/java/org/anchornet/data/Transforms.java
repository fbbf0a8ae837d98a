package org.anchornet.data;

import java.util.List;
import java.util.Random;

/**
 * torchvision's image transforms on PIL images, reproduced on {@link RgbImage}: the same geometry (including
 * torchvision's rounding and fallbacks) and PIL's resampling. Random transforms draw from a caller-supplied seeded
 * {@link Random}.
 */
public final class Transforms {
    /** ImageNet statistics used by torchvision's Normalize in the reference scripts. */
    public static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] STD = {0.229f, 0.224f, 0.225f};

    private static final double MIN_SCALE = 0.08;
    private static final double MAX_SCALE = 1.0;
    private static final double MIN_RATIO = 3.0 / 4.0;
    private static final double MAX_RATIO = 4.0 / 3.0;

    private Transforms() {}

    /**
     * Most pixels an image may be resized to before its crop: 4096² (48 MiB as RGB). The decoder bounds what a file
     * decodes to, but a thin image (30000×1) decodes small and resizes huge: its shorter side going to 224 px would
     * make a 224×6.7 M image. So the work an image causes is bounded here, on the size after the resize.
     */
    public static final long MAX_RESIZED_PIXELS = 1L << 24;

    /** An image whose resize would exceed {@link #MAX_RESIZED_PIXELS}: bad input, refused before any work. */
    public static final class ImageTooLargeException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ImageTooLargeException(String message) {
            super(message);
        }
    }

    /** Resize(size): the shorter side becomes {@code size}, the longer keeps the aspect ratio (truncated). */
    public static RgbImage resizeShorter(RgbImage image, int size) {
        long w = image.width();
        long h = image.height();
        long longer = w <= h ? size * h / w : size * w / h;
        if (longer * size > MAX_RESIZED_PIXELS) {
            throw new ImageTooLargeException("a " + w + "×" + h + " image resized to a shorter side of " + size
                    + " px would be " + (w <= h ? size + "×" + longer : longer + "×" + size) + " pixels, more than the "
                    + MAX_RESIZED_PIXELS + " allowed (aspect ratio " + Math.max(w, h) / Math.min(w, h) + ":1)");
        }
        return w <= h ? PilResize.bilinear(image, size, (int) longer) : PilResize.bilinear(image, (int) longer, size);
    }

    /** CenterCrop(size), with torchvision's round-half-to-even offsets. */
    public static RgbImage centerCrop(RgbImage image, int size) {
        if (size > image.width() || size > image.height()) {
            throw new IllegalArgumentException("center crop of " + size + " px from a " + image.width() + "×"
                    + image.height() + " image");
        }
        int top = (int) Math.rint((image.height() - size) / 2.0);
        int left = (int) Math.rint((image.width() - size) / 2.0);
        return image.crop(left, top, size, size);
    }

    /** RandomResizedCrop(size, scale=(0.08, 1), ratio=(3/4, 4/3)), with torchvision's ten tries and fallback. */
    public static RgbImage randomResizedCrop(RgbImage image, int size, Random random) {
        int width = image.width();
        int height = image.height();
        double area = (double) width * height;
        for (int attempt = 0; attempt < 10; attempt++) {
            double targetArea = area * (MIN_SCALE + random.nextDouble() * (MAX_SCALE - MIN_SCALE));
            double logRatio = Math.log(MIN_RATIO) + random.nextDouble() * (Math.log(MAX_RATIO) - Math.log(MIN_RATIO));
            double aspect = Math.exp(logRatio);
            int w = (int) Math.rint(Math.sqrt(targetArea * aspect));
            int h = (int) Math.rint(Math.sqrt(targetArea / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = random.nextInt(height - h + 1);
                int left = random.nextInt(width - w + 1);
                return PilResize.bilinear(image.crop(left, top, w, h), size, size);
            }
        }
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < MIN_RATIO) {
            w = width;
            h = (int) Math.rint(w / MIN_RATIO);
        } else if (inRatio > MAX_RATIO) {
            h = height;
            w = (int) Math.rint(h * MAX_RATIO);
        } else {
            w = width;
            h = height;
        }
        return PilResize.bilinear(image.crop((width - w) / 2, (height - h) / 2, w, h), size, size);
    }

    public static RgbImage randomHorizontalFlip(RgbImage image, Random random) {
        return random.nextDouble() < 0.5 ? image.flipHorizontal() : image;
    }

    /** FiveCrop(size): top-left, top-right, bottom-left, bottom-right, centre (torchvision's order). */
    public static List<RgbImage> fiveCrop(RgbImage image, int size) {
        int w = image.width();
        int h = image.height();
        if (size > w || size > h) {
            throw new IllegalArgumentException("five crops of " + size + " px from a " + w + "×" + h + " image");
        }
        return List.of(image.crop(0, 0, size, size), image.crop(w - size, 0, size, size),
                image.crop(0, h - size, size, size), image.crop(w - size, h - size, size, size),
                centerCrop(image, size));
    }

    /** ToTensor + Normalize with ImageNet's statistics: C×H×W floats, (x/255 − mean)/std per channel. */
    public static float[] toNormalizedChw(RgbImage image) {
        return toNormalizedChw(image, MEAN, STD);
    }

    /** ToTensor + Normalize(means, stds). */
    public static float[] toNormalizedChw(RgbImage image, float[] means, float[] stds) {
        int plane = image.width() * image.height();
        float[] out = new float[plane * 3];
        byte[] p = image.pixels();
        float[] table = new float[256];
        for (int c = 0; c < 3; c++) {
            // the same float expression for each of the 256 byte values, then looked up: identical results, no
            // division per sample
            for (int v = 0; v < 256; v++) {
                table[v] = (v / 255f - means[c]) / stds[c];
            }
            for (int i = 0, o = c * plane; i < plane; i++, o++) {
                out[o] = table[p[i * 3 + c] & 0xff];
            }
        }
        return out;
    }

    /** Resize(resize) then CenterCrop(crop): the evaluation geometry of the reference scripts. */
    public static RgbImage resizeAndCenterCrop(RgbImage image, int resize, int crop) {
        return centerCrop(resizeShorter(image, resize), crop);
    }

    /** The reference's input side: ImageNet's evaluation crop, the default wherever a side is not given. */
    public static final int DEFAULT_INPUT_SIZE = 224;
    /** The Resize side the reference scripts use with that crop. */
    public static final int REFERENCE_RESIZE = 256;

    /** The evaluation preprocessing of the reference scripts: Resize(256), CenterCrop(224), ToTensor, Normalize. */
    public static float[] evaluation(RgbImage image, int resize, int crop) {
        return toNormalizedChw(resizeAndCenterCrop(image, resize, crop));
    }

    /** The Resize side that goes with a crop, as 256 goes with 224 in the reference scripts. */
    public static int evaluationResize(int crop) {
        return (int) Math.round(crop * (double) REFERENCE_RESIZE / DEFAULT_INPUT_SIZE);
    }
}
