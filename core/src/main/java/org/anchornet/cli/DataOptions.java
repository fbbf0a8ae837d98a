package org.anchornet.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageFolder;
import picocli.CommandLine.Option;
import org.anchornet.data.Transforms;

/**
 * Where images come from, shared by every command that reads data: an ImageFolder tree ({@code --data DIR} with
 * {@code train/}, {@code val/} and optionally {@code test/}, as ImageNet is laid out), or by default the generated
 * Cluttered Fashion-MNIST.
 */
final class DataOptions {
    @Option(names = "--data", description = "ImageFolder root with train/ and val/ (and test/) subfolders; default:"
            + " Cluttered Fashion-MNIST, generated.")
    Path data;

    @Option(names = "--fashion-mnist-dir", description = "Folder with Fashion-MNIST's IDX files (else"
            + " $FASHION_MNIST_DIR, or Debian's dataset-fashion-mnist).")
    Path fashionMnistDir;

    @Option(names = "--train-size", defaultValue = "6000", description = "Cluttered training canvases (default"
            + " ${DEFAULT-VALUE}).")
    int trainSize;

    @Option(names = "--val-size", defaultValue = "1000", description = "Cluttered validation canvases (default"
            + " ${DEFAULT-VALUE}).")
    int valSize;

    @Option(names = "--test-size", defaultValue = "2000", description = "Cluttered test canvases (default"
            + " ${DEFAULT-VALUE}).")
    int testSize;

    @Option(names = "--canvas", defaultValue = "" + Transforms.DEFAULT_INPUT_SIZE, description = "Cluttered canvas side (default ${DEFAULT-VALUE}).")
    int canvas;

    @Option(names = "--data-seed", defaultValue = "0", description = "Seed of the generated canvases (default"
            + " ${DEFAULT-VALUE}).")
    long dataSeed;

    @Option(names = "--workers", description = "Image decoding threads (default: cores − 1, at least 1).")
    Integer workers;

    @Option(names = "--strict", description = "Fail on the first damaged image instead of skipping it.")
    boolean strict;

    private FashionMnist fashion;

    boolean generated() {
        return data == null;
    }

    int workers() {
        return workers != null ? workers : Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }

    /** The split named train, val or test. */
    ImageDataset split(String name) throws IOException {
        if (data != null) {
            Path dir = data.resolve(name);
            if (!Files.isDirectory(dir)) {
                throw new IOException(data + " has no " + name + "/ folder (expected " + data + "/{train,val}/<class>/"
                        + "<image>)");
            }
            return new ImageFolder(dir);
        }
        if (fashion == null) {
            fashion = FashionMnist.locate(fashionMnistDir);
        }
        if (!name.equals("test")) {
            ClutteredFashionMnist.checkDisjoint(trainSize, valSize, fashion);
        }
        ClutteredFashionMnist.Config config = new ClutteredFashionMnist.Config(canvas, 3, 6, 12, 6.0, dataSeed);
        return switch (name) {
            case "train" -> new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.TRAIN, trainSize, config);
            case "val" -> new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.VAL, valSize, config);
            case "test" -> new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.TEST, testSize, config);
            default -> throw new IllegalArgumentException("no split " + name);
        };
    }
}
