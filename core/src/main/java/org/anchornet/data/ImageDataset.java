package org.anchornet.data;

import java.util.List;

/** A random-access, labelled image collection: an ImageFolder on disk or canvases generated on the fly. */
public interface ImageDataset {
    /** One decoded image with its label and a stable id (a relative path, or split/index for generated data). */
    record Sample(RgbImage image, int label, String id) {}

    int size();

    List<String> classNames();

    default int numClasses() {
        return classNames().size();
    }

    /** Label of an item without decoding it. */
    int label(int index);

    String id(int index);

    /** Decodes item {@code index}; a damaged file is a {@link ImageDecoder.BadImageException}. */
    Sample load(int index) throws ImageDecoder.BadImageException;
}
