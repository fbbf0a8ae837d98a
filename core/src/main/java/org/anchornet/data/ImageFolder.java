package org.anchornet.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * torchvision's {@code ImageFolder}: {@code root/<class>/**}{@code /<image>}, classes in sorted order, files sorted
 * within each class, any of torchvision's image extensions in any letter case.
 */
public final class ImageFolder implements ImageDataset {
    /** torchvision's IMG_EXTENSIONS; every one of them decodes here (see ImageDecoder). */
    public static final Set<String> EXTENSIONS =
            Set.of(".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp");

    private final Path root;
    private final List<String> classes;
    private final List<Path> files = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();

    public ImageFolder(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException(root + ": no such directory (expected root/<class>/<image>)");
        }
        this.root = root;
        try (Stream<Path> dirs = Files.list(root)) {
            classes = dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        if (classes.isEmpty()) {
            throw new IOException(root + ": no class folders (expected root/<class>/<image>)");
        }
        for (int c = 0; c < classes.size(); c++) {
            try (Stream<Path> walk = Files.walk(root.resolve(classes.get(c)), java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
                for (Path p : walk.filter(Files::isRegularFile).filter(ImageFolder::isImageFile).sorted().toList()) {
                    files.add(p);
                    labels.add(c);
                }
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
        if (files.isEmpty()) {
            throw new IOException(root + ": no image files (" + EXTENSIONS + ") under its class folders");
        }
    }

    public static boolean isImageFile(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = name.lastIndexOf('.');
        return dot >= 0 && EXTENSIONS.contains(name.substring(dot));
    }

    public Path root() {
        return root;
    }

    public Path file(int index) {
        return files.get(index);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public List<String> classNames() {
        return classes;
    }

    @Override
    public int label(int index) {
        return labels.get(index);
    }

    @Override
    public String id(int index) {
        return root.relativize(files.get(index)).toString();
    }

    @Override
    public Sample load(int index) throws ImageDecoder.BadImageException {
        return new Sample(ImageDecoder.decode(files.get(index)), labels.get(index), id(index));
    }
}
