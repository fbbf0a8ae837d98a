package org.anchornet.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.anchornet.io.AtomicFiles;

/**
 * Zalando's Fashion-MNIST: 60,000 training and 10,000 test images, 28×28 grayscale, 10 classes, read from the IDX
 * files (gzipped or not). Looked for in {@code --data-dir}, then {@code $FASHION_MNIST_DIR}, then Debian's
 * {@code dataset-fashion-mnist} location, then downloaded into a cache folder when a network is there.
 */
public final class FashionMnist {
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final int SIDE = 28;
    private static final String DOWNLOAD_BASE = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

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

    /** Finds the data as described above; a clear message says how to get it when nothing works. */
    public static FashionMnist locate(Path dataDir, Path cacheDir) throws IOException {
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
        if (cacheDir != null && hasAll(cacheDir)) {
            return read(cacheDir);
        }
        if (cacheDir != null) {
            try {
                download(cacheDir);
                return read(cacheDir);
            } catch (IOException e) {
                throw new IOException("Fashion-MNIST not found: give the folder of its IDX files, set FASHION_MNIST_DIR, or install"
                        + " Debian's package (apt-get install dataset-fashion-mnist); the download to " + cacheDir
                        + " failed too (" + e.getMessage() + ")", e);
            }
        }
        throw new IOException("Fashion-MNIST not found: give the folder of its IDX files, set FASHION_MNIST_DIR, or install Debian's"
                + " package (apt-get install dataset-fashion-mnist)");
    }

    private static boolean hasAll(Path dir) {
        for (String name : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte")) {
            if (!Files.exists(dir.resolve(name + ".gz")) && !Files.exists(dir.resolve(name))) {
                return false;
            }
        }
        return true;
    }

    private static void download(Path cacheDir) throws IOException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        for (String name : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(DOWNLOAD_BASE + name))
                    .timeout(Duration.ofMinutes(5)).build();
            try {
                HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode() + " for " + name);
                }
                AtomicFiles.write(cacheDir.resolve(name), out -> out.write(response.body()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
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
