package org.anchornet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.anchornet.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSetsTest {
    @TempDir Path tmp;

    static FashionMnist sample() throws IOException {
        return FashionMnist.read(Path.of("src/test/resources/fashion-mnist-sample"));
    }

    @Test
    void aSelectionIsTheChosenItemsInOrderWithTheirOwnLabelsIdsAndPixels() throws Exception {
        ClutteredFashionMnist all = new ClutteredFashionMnist(sample(), ClutteredFashionMnist.Split.TRAIN, 10,
                ClutteredFashionMnist.Config.defaults(3));
        int[] chosen = {7, 2, 5};
        ImageDataset some = all.select(chosen);
        chosen[0] = 0; // the selection keeps its own copy
        assertEquals(3, some.size());
        assertEquals(all.classNames(), some.classNames());
        int[] expected = {7, 2, 5};
        for (int i = 0; i < 3; i++) {
            assertEquals(all.label(expected[i]), some.label(i));
            assertEquals(all.id(expected[i]), some.id(i));
            assertArrayEquals(all.load(expected[i]).image().pixels(), some.load(i).image().pixels());
        }
        assertThrows(IndexOutOfBoundsException.class, () -> all.select(new int[] {10}));
    }

    @Test
    void readsGzippedIdx() throws Exception {
        FashionMnist data = sample();
        assertEquals(60, data.train().size());
        assertEquals(20, data.test().size());
        // Fashion-MNIST's first training item is an ankle boot (9), its first test item too.
        assertEquals(9, data.train().labels()[0]);
        assertEquals(9, data.test().labels()[0]);
        int nonZero = 0;
        for (byte b : data.train().images()[0]) {
            nonZero += b != 0 ? 1 : 0;
        }
        assertTrue(nonZero > 100, "an item, not a blank");
    }

    @Test
    void plainIdxAndBrokenIdx() throws Exception {
        Path dir = tmp.resolve("plain");
        Files.createDirectories(dir);
        for (String name : List.of("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte")) {
            try (var in = new java.util.zip.GZIPInputStream(
                    Files.newInputStream(Path.of("src/test/resources/fashion-mnist-sample", name + ".gz")))) {
                Files.write(dir.resolve(name), in.readAllBytes());
            }
        }
        assertEquals(60, FashionMnist.read(dir).train().size());
        byte[] labels = Files.readAllBytes(dir.resolve("t10k-labels-idx1-ubyte"));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), java.util.Arrays.copyOf(labels, 15));
        IOException e = assertThrows(IOException.class, () -> FashionMnist.read(dir));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(assertThrows(IOException.class, () -> FashionMnist.read(tmp.resolve("nothing"))).getMessage()
                .contains("missing"));
    }

    @Test
    void canvasesAreDeterministicAndHoldTheItem() throws Exception {
        FashionMnist data = sample();
        ClutteredFashionMnist.Config config = ClutteredFashionMnist.Config.defaults(11);
        ClutteredFashionMnist a = new ClutteredFashionMnist(data, ClutteredFashionMnist.Split.TRAIN, 30, config);
        ClutteredFashionMnist b = new ClutteredFashionMnist(data, ClutteredFashionMnist.Split.TRAIN, 30, config);
        assertArrayEquals(a.load(7).image().pixels(), b.load(7).image().pixels());
        assertFalse(java.util.Arrays.equals(a.load(7).image().pixels(), a.load(8).image().pixels()));
        ClutteredFashionMnist other = new ClutteredFashionMnist(data, ClutteredFashionMnist.Split.TRAIN, 30,
                ClutteredFashionMnist.Config.defaults(12));
        assertFalse(java.util.Arrays.equals(a.load(7).image().pixels(), other.load(7).image().pixels()));
        ImageDataset.Sample s = a.load(3);
        assertEquals(224, s.image().width());
        assertEquals(data.train().labels()[3], s.label());
        // The item region is brighter on average than the canvas: the item is where itemPosition says.
        int[] pos = a.itemPosition(3);
        assertTrue(mean(s.image(), pos[0], pos[1], 84) > mean(s.image(), 0, 0, 224) + 10);
    }

    @Test
    void trainAndValidationComeFromDifferentItems() throws Exception {
        FashionMnist data = sample();
        ClutteredFashionMnist.checkDisjoint(40, 20, data);
        assertThrows(IllegalArgumentException.class, () -> ClutteredFashionMnist.checkDisjoint(40, 21, data));
        ClutteredFashionMnist val = new ClutteredFashionMnist(data, ClutteredFashionMnist.Split.VAL, 20,
                ClutteredFashionMnist.Config.defaults(1));
        assertEquals(data.train().labels()[59], val.label(0), "validation canvas 0 shows the last training item");
        assertEquals(data.train().labels()[40], val.label(19));
    }

    @Test
    void canvasDependsOnlyOnSeedSplitAndIndex() throws Exception {
        FashionMnist data = sample();
        ClutteredFashionMnist.Config config = ClutteredFashionMnist.Config.defaults(5);
        for (ClutteredFashionMnist.Split split : ClutteredFashionMnist.Split.values()) {
            int max = split == ClutteredFashionMnist.Split.TEST ? 20 : 30;
            ClutteredFashionMnist small = new ClutteredFashionMnist(data, split, 4, config);
            ClutteredFashionMnist large = new ClutteredFashionMnist(data, split, max, config);
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(small.load(i).image().pixels(), large.load(i).image().pixels(), split + " " + i);
                assertEquals(small.label(i), large.label(i));
                assertEquals(small.id(i), large.id(i));
            }
        }
        // the splits differ from each other for the same index
        assertFalse(java.util.Arrays.equals(
                new ClutteredFashionMnist(data, ClutteredFashionMnist.Split.TRAIN, 3, config).load(2).image().pixels(),
                new ClutteredFashionMnist(data, ClutteredFashionMnist.Split.VAL, 3, config).load(2).image().pixels()));
    }

    @Test
    void imageFolderSortsClassesAndLoaderSkipsBadFiles() throws Exception {
        FashionMnist data = sample();
        ClutteredFashionMnist canvases = new ClutteredFashionMnist(data, ClutteredFashionMnist.Split.TEST, 6,
                new ClutteredFashionMnist.Config(96, 3, 2, 12, 4, 1));
        Path root = tmp.resolve("folder");
        canvases.export(root);
        Path badDir = root.resolve(ClutteredFashionMnist.folderName(0));
        Files.copy(Fixtures.file("images/truncated.jpg"), badDir.resolve("truncated.JPEG"));
        Files.write(badDir.resolve("empty.png"), new byte[0]);
        Files.writeString(badDir.resolve("notes.txt"), "ignored: not an image extension");
        ImageFolder folder = new ImageFolder(root);
        assertEquals(10, folder.numClasses());
        assertEquals("0_t-shirt-top", folder.classNames().get(0));
        assertEquals(8, folder.size());
        List<String> warnings = new ArrayList<>();
        int seen = 0;
        try (BatchLoader loader = new BatchLoader(folder, (img, r) -> Transforms.toNormalizedChw(img),
                new BatchLoader.Options(3, 2, 2, false, false), warnings::add)) {
            for (BatchLoader.Batch batch : loader.epoch(0, 0, true)) {
                seen += batch.size();
                assertEquals(batch.size() * 3 * 96 * 96, batch.images().pixels().length);
            }
            assertEquals(2, loader.skipped());
        }
        assertEquals(6, seen);
        assertEquals(2, warnings.size());
        assertTrue(warnings.stream().anyMatch(w -> w.contains("truncated.JPEG")), warnings.toString());
        try (BatchLoader strict = new BatchLoader(folder, (img, r) -> Transforms.toNormalizedChw(img),
                new BatchLoader.Options(8, 1, 1, true, false), w -> { })) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> strict.epoch(0, 0, false).iterator().next());
            assertTrue(e.getMessage().contains("strict mode"), e.getMessage());
        }
    }

    @Test
    void shuffledBatchesDoNotDependOnThreads() throws Exception {
        FashionMnist data = sample();
        ClutteredFashionMnist canvases = new ClutteredFashionMnist(data, ClutteredFashionMnist.Split.TRAIN, 12,
                new ClutteredFashionMnist.Config(96, 3, 2, 12, 4, 1));
        BatchLoader.Transform augment = (img, r) -> Transforms.toNormalizedChw(
                Transforms.randomHorizontalFlip(Transforms.randomResizedCrop(img, 48, r), r));
        List<float[]> one = new ArrayList<>();
        List<float[]> many = new ArrayList<>();
        try (BatchLoader a = new BatchLoader(canvases, augment, new BatchLoader.Options(5, 0, 1, false, false), w -> { });
                BatchLoader b = new BatchLoader(canvases, augment, new BatchLoader.Options(5, 3, 3, false, false),
                        w -> { })) {
            a.epoch(9, 2, true).forEach(x -> one.add(x.images().pixels()));
            b.epoch(9, 2, true).forEach(x -> many.add(x.images().pixels()));
        }
        assertEquals(one.size(), many.size());
        for (int i = 0; i < one.size(); i++) {
            assertArrayEquals(one.get(i), many.get(i));
        }
    }

    private static double mean(RgbImage image, int left, int top, int size) {
        double sum = 0;
        for (int y = top; y < top + size; y++) {
            for (int x = left; x < left + size; x++) {
                sum += image.get(x, y, 0);
            }
        }
        return sum / (size * size);
    }
}
