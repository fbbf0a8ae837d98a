package org.anchornet.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Zalando's Fashion-MNIST: 60,000 training and 10,000 test images, 28×28 grayscale, 10 classes, read from the IDX
 * files (gzipped or not). Looked for in {@code --data-dir}, then {@code $FASHION_MNIST_DIR}, then Debian's
 * {@code dataset-fashion-mnist} location. Never downloaded: nothing in this project fetches data at run time.
 */
public final class FashionMnist {
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int SIDE = 28;

    /** One split: images (n × 784 bytes, row-major) and labels. */
    public record Split(byte[][] images, byte[] labels) {
        public int size() {
            return labels.length;
        }
    }

    private final Split train;
    private final Split test;

    private FashionMnist(Split train, Split test) {
        this.train = train;
        this.test = test;
    }

    public Split train() {
        return train;
    }

    public Split test() {
        return test;
    }

    /** Reads both splits from a folder holding the four IDX files. */
    public static FashionMnist read(Path dir) throws IOException {
        return new FashionMnist(
                readSplit(find(dir, "train-images-idx3-ubyte"), find(dir, "train-labels-idx1-ubyte")),
                readSplit(find(dir, "t10k-images-idx3-ubyte"), find(dir, "t10k-labels-idx1-ubyte")));
    }

    /** Finds the data as described above; a clear message says how to get it when it is in none of those places. */
    public static FashionMnist locate(Path dataDir) throws IOException {
        if (dataDir != null) {
            return read(dataDir);
        }
        String env = System.getenv("FASHION_MNIST_DIR");
        if (env != null && !env.isBlank()) {
            return read(Path.of(env));
        }
        if (Files.isDirectory(DEBIAN_DIR)) {
            return read(DEBIAN_DIR);
        }
        throw new IOException("Fashion-MNIST not found: give the folder of its IDX files (--fashion-mnist-dir), set"
                + " FASHION_MNIST_DIR, or install Debian's package (apt-get install dataset-fashion-mnist)");
    }

    private static Path find(Path dir, String name) throws IOException {
        for (Path p : List.of(dir.resolve(name + ".gz"), dir.resolve(name))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IOException(dir + ": missing " + name + "(.gz)");
    }

    static Split readSplit(Path imagesFile, Path labelsFile) throws IOException {
        byte[][] images;
        byte[] labels;
        try (DataInputStream in = open(imagesFile)) {
            int magic = in.readInt();
            if (magic != 0x803) {
                throw new IOException(imagesFile + ": not an IDX image file (magic " + Integer.toHexString(magic) + ")");
            }
            int n = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (rows != SIDE || cols != SIDE || n < 0) {
                throw new IOException(imagesFile + ": expected 28×28 images, found " + rows + "×" + cols);
            }
            images = new byte[n][SIDE * SIDE];
            for (int i = 0; i < n; i++) {
                in.readFully(images[i]);
            }
        } catch (java.io.EOFException e) {
            throw new IOException(imagesFile + ": truncated", e);
        }
        try (DataInputStream in = open(labelsFile)) {
            int magic = in.readInt();
            if (magic != 0x801) {
                throw new IOException(labelsFile + ": not an IDX label file (magic " + Integer.toHexString(magic) + ")");
            }
            int n = in.readInt();
            if (n != images.length) {
                throw new IOException(labelsFile + ": " + n + " labels for " + images.length + " images");
            }
            labels = new byte[n];
            in.readFully(labels);
        } catch (java.io.EOFException e) {
            throw new IOException(labelsFile + ": truncated", e);
        }
        for (byte label : labels) {
            if (label < 0 || label >= CLASSES.size()) {
                throw new IOException(labelsFile + ": label " + label + " outside 0..9");
            }
        }
        return new Split(images, labels);
    }

    /** Opens plain or gzipped IDX, by content rather than by name. */
    private static DataInputStream open(Path file) throws IOException {
        PushbackInputStream in = new PushbackInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)), 2);
        byte[] head = new byte[2];
        int n = in.readNBytes(head, 0, 2);
        in.unread(head, 0, n);
        InputStream stream = n == 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b ? new GZIPInputStream(in) : in;
        return new DataInputStream(new java.io.BufferedInputStream(stream));
    }
}
