package org.anchornet.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.imageio.ImageIO;
import org.anchornet.io.AtomicFiles;

/**
 * Cluttered Fashion-MNIST, the embedded default data set: each canvas (default 224×224 RGB) holds one Fashion-MNIST
 * item scaled up (default ×3, so 84 px) at a uniformly random position, over fragments cut from other items and mild
 * noise. A downscaled glance loses the item's detail while a 95 px window around it keeps it, which is the situation
 * AnchorNet is for. Canvases are generated on demand, so nothing is kept in memory.
 *
 * <p>Canvas {@code i} of a split is a function of (seed, split, i) alone, whatever the sizes of the splits: training
 * canvas {@code i} shows training item {@code i}, validation canvas {@code i} training item {@code N − 1 − i} (the two
 * ends of Fashion-MNIST's training set, disjoint while train + val ≤ N), test canvas {@code i} test item {@code i}.
 * Fragments come from a fixed half of the source set (training canvases: the first half of the training set;
 * validation: the second half; test: the whole test set), drawn with the canvas's own random stream. So a 1,000-image
 * test set is the first 1,000 canvases of a 2,000-image one, and another tool can rebuild any canvas by its index.
 */
public final class ClutteredFashionMnist implements ImageDataset {
    /** Which split a canvas belongs to. */
    public enum Split {
        TRAIN, VAL, TEST
    }

    /** How canvases are drawn. */
    public record Config(int canvas, int scale, int distractors, int fragment, double noise, long seed) {
        public Config {
            if (canvas < FashionMnist.SIDE * scale || scale < 1 || distractors < 0 || fragment < 1
                    || fragment > FashionMnist.SIDE || noise < 0) {
                throw new IllegalArgumentException("invalid cluttered canvas settings");
            }
        }

        public static Config defaults(long seed) {
            return new Config(Transforms.DEFAULT_INPUT_SIZE, 3, 6, 12, 6.0, seed);
        }
    }

    private final FashionMnist.Split source;
    private final int count;
    private final Split split;
    private final Config config;

    /**
     * @param data Fashion-MNIST
     * @param split which split; TRAIN takes items from the start of the training set, VAL from its end
     * @param count canvases in this split
     */
    public ClutteredFashionMnist(FashionMnist data, Split split, int count, Config config) {
        this.split = split;
        this.config = config;
        this.source = split == Split.TEST ? data.test() : data.train();
        if (count < 1 || count > source.size()) {
            throw new IllegalArgumentException(split + " split of " + count + " canvases: Fashion-MNIST has "
                    + source.size() + " items there");
        }
        this.count = count;
    }

    /** Checks that training and validation canvases come from different Fashion-MNIST items. */
    public static void checkDisjoint(int trainCount, int valCount, FashionMnist data) {
        if (trainCount + valCount > data.train().size()) {
            throw new IllegalArgumentException(trainCount + " training + " + valCount + " validation canvases exceed"
                    + " the " + data.train().size() + " Fashion-MNIST training items, so they would overlap");
        }
    }

    public Config config() {
        return config;
    }

    public Split split() {
        return split;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public List<String> classNames() {
        return FashionMnist.CLASSES;
    }

    @Override
    public int label(int index) {
        return source.labels()[item(index)];
    }

    /** The Fashion-MNIST item shown on canvas {@code index}. */
    private int item(int index) {
        return split == Split.VAL ? source.size() - 1 - index : index;
    }

    @Override
    public String id(int index) {
        return split.name().toLowerCase(Locale.ROOT) + "/" + index;
    }

    /** The item's top-left corner on canvas {@code index} (for checking localization). */
    public int[] itemPosition(int index) {
        Random random = random(index);
        int side = FashionMnist.SIDE * config.scale();
        return new int[] {random.nextInt(config.canvas() - side + 1), random.nextInt(config.canvas() - side + 1)};
    }

    @Override
    public Sample load(int index) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException(index);
        }
        Random random = random(index);
        int side = FashionMnist.SIDE * config.scale();
        int itemLeft = random.nextInt(config.canvas() - side + 1);
        int itemTop = random.nextInt(config.canvas() - side + 1);
        int canvas = config.canvas();
        int[] gray = new int[canvas * canvas];
        int fragSide = config.fragment() * config.scale();
        for (int d = 0; d < config.distractors(); d++) {
            byte[] other = source.images()[fragmentSource(random)];
            int fx = random.nextInt(FashionMnist.SIDE - config.fragment() + 1);
            int fy = random.nextInt(FashionMnist.SIDE - config.fragment() + 1);
            RgbImage piece = scaled(other, fx, fy, config.fragment(), fragSide);
            paint(gray, canvas, piece, random.nextInt(canvas - fragSide + 1), random.nextInt(canvas - fragSide + 1));
        }
        paint(gray, canvas, scaled(source.images()[item(index)], 0, 0, FashionMnist.SIDE, side), itemLeft, itemTop);
        byte[] rgb = new byte[canvas * canvas * 3];
        for (int i = 0; i < gray.length; i++) {
            int v = (int) Math.round(gray[i] + random.nextGaussian() * config.noise());
            byte b = (byte) Math.max(0, Math.min(255, v));
            rgb[i * 3] = b;
            rgb[i * 3 + 1] = b;
            rgb[i * 3 + 2] = b;
        }
        return new Sample(new RgbImage(canvas, canvas, rgb), label(index), id(index));
    }

    private int fragmentSource(Random random) {
        int half = source.size() / 2;
        return switch (split) {
            case TRAIN -> random.nextInt(Math.max(1, half));
            case VAL -> half + random.nextInt(source.size() - half);
            case TEST -> random.nextInt(source.size());
        };
    }

    private Random random(int index) {
        long mixed = config.seed() * 0x9E3779B97F4A7C15L + split.ordinal() * 0xC2B2AE3D27D4EB4FL + index;
        return new Random(mixed ^ (mixed >>> 29));
    }

    private static RgbImage scaled(byte[] item, int x, int y, int size, int target) {
        byte[] rgb = new byte[size * size * 3];
        for (int r = 0; r < size; r++) {
            for (int c = 0; c < size; c++) {
                byte v = item[(y + r) * FashionMnist.SIDE + x + c];
                int o = (r * size + c) * 3;
                rgb[o] = v;
                rgb[o + 1] = v;
                rgb[o + 2] = v;
            }
        }
        return PilResize.bilinear(new RgbImage(size, size, rgb), target, target);
    }

    /** Lighter pixel wins, so items (light on black) stay whole where they overlap. */
    private static void paint(int[] gray, int canvas, RgbImage piece, int left, int top) {
        for (int r = 0; r < piece.height(); r++) {
            for (int c = 0; c < piece.width(); c++) {
                int i = (top + r) * canvas + left + c;
                gray[i] = Math.max(gray[i], piece.get(c, r, 0));
            }
        }
    }

    /** Writes the split as an ImageFolder: {@code dir/<nn_class>/<index>.png}. */
    public void export(Path dir) throws IOException {
        for (int c = 0; c < FashionMnist.CLASSES.size(); c++) {
            Files.createDirectories(dir.resolve(folderName(c)));
        }
        for (int i = 0; i < count; i++) {
            Sample s = load(i);
            Path file = dir.resolve(folderName(s.label())).resolve(String.format(Locale.ROOT, "%06d.png", i));
            AtomicFiles.write(file, out -> ImageIO.write(s.image().toBufferedImage(), "png", out));
        }
    }

    /** Class folder names that sort in label order. */
    public static String folderName(int label) {
        return label + "_" + FashionMnist.CLASSES.get(label).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    }
}
