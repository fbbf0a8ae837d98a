package org.anchornet.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Loose image files as an unlabelled data set. */
public final class ImageFiles implements ImageDataset {
    private final List<Path> files;

    public ImageFiles(List<Path> files) throws IOException {
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new IOException(f + ": no such file");
            }
        }
        this.files = List.copyOf(files);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public List<String> classNames() {
        return List.of();
    }

    @Override
    public int label(int index) {
        return -1;
    }

    @Override
    public String id(int index) {
        return files.get(index).toString();
    }

    @Override
    public Sample load(int index) throws ImageDecoder.BadImageException {
        RgbImage image = ImageDecoder.decode(files.get(index));
        return new Sample(image, -1, id(index));
    }
}
