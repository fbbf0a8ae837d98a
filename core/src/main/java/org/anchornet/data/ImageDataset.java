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

    /** The items at {@code indices} of this collection, in that order, with their own ids. */
    default ImageDataset select(int[] indices) {
        return new Selection(this, indices);
    }

    /** A view of some items of another collection (a training fold, for instance). */
    record Selection(ImageDataset source, int[] indices) implements ImageDataset {
        public Selection {
            indices = indices.clone();
            for (int i : indices) {
                if (i < 0 || i >= source.size()) {
                    throw new IndexOutOfBoundsException("item " + i + " of a collection of " + source.size());
                }
            }
        }

        @Override
        public int[] indices() {
            return indices.clone();
        }

        @Override
        public int size() {
            return indices.length;
        }

        @Override
        public List<String> classNames() {
            return source.classNames();
        }

        @Override
        public int label(int index) {
            return source.label(indices[index]);
        }

        @Override
        public String id(int index) {
            return source.id(indices[index]);
        }

        @Override
        public Sample load(int index) throws ImageDecoder.BadImageException {
            return source.load(indices[index]);
        }
    }
}
