package org.anchornet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.anchornet.testing.Fixtures;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TransformParityTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"rocket.jpg", "chelsea.png"})
    void evaluationPreprocessingMatchesTorchvision(String name) throws Exception {
        Map<String, Object> expected = TorchReader.readDict(Fixtures.file("preprocess_io.pth"));
        TorchTensor want = (TorchTensor) expected.get(name);
        float[] got = Transforms.evaluation(ImageDecoder.decode(Fixtures.file("images/" + name)), 256, 224);
        float[] exp = want.toFloatArray();
        assertEquals(exp.length, got.length);
        double max = 0;
        double sum = 0;
        for (int i = 0; i < exp.length; i++) {
            double d = Math.abs(exp[i] - got[i]);
            max = Math.max(max, d);
            sum += d;
        }
        assertTrue(max <= 0.05, name + ": max difference " + max);
        assertTrue(sum / exp.length <= 0.005, name + ": mean difference " + sum / exp.length);
    }

    @Test
    void pilResizeOfConstantImageIsConstantAndSizesFollowTorchvision() {
        RgbImage gray = new RgbImage(300, 200, filled(300 * 200 * 3, (byte) 77));
        RgbImage resized = Transforms.resizeShorter(gray, 256);
        assertEquals(384, resized.width()); // int(256 · 300 / 200)
        assertEquals(256, resized.height());
        for (byte b : resized.pixels()) {
            assertEquals(77, b & 0xff);
        }
        RgbImage odd = Transforms.centerCrop(new RgbImage(5, 5, new byte[75]), 2);
        assertEquals(2, odd.width()); // offset round(1.5) = 2 (half to even) in both axes
    }

    @Test
    void randomResizedCropIsSeededAndSized() {
        RgbImage image = new RgbImage(120, 80, randomBytes(120 * 80 * 3));
        RgbImage a = Transforms.randomResizedCrop(image, 64, new Random(5));
        RgbImage b = Transforms.randomResizedCrop(image, 64, new Random(5));
        assertEquals(64, a.width());
        assertEquals(64, a.height());
        assertArrayEquals(a.pixels(), b.pixels());
        // Ratios outside 3/4..4/3 never pass the ten tries on a 1000×10 strip: the fallback crops the central 13×10.
        RgbImage strip = new RgbImage(1000, 10, randomBytes(1000 * 10 * 3));
        assertEquals(16, Transforms.randomResizedCrop(strip, 16, new Random(1)).width());
    }

    @Test
    void fiveCropOrderIsTorchvisions() {
        byte[] px = new byte[4 * 4 * 3];
        for (int i = 0; i < 16; i++) {
            px[i * 3] = (byte) i;
        }
        var crops = Transforms.fiveCrop(new RgbImage(4, 4, px), 2);
        assertEquals(0, crops.get(0).get(0, 0, 0));
        assertEquals(2, crops.get(1).get(0, 0, 0));
        assertEquals(8, crops.get(2).get(0, 0, 0));
        assertEquals(10, crops.get(3).get(0, 0, 0));
        assertEquals(5, crops.get(4).get(0, 0, 0));
    }

    @Test
    void badFilesAreRefusedWithTheirName() throws Exception {
        Path truncated = Fixtures.file("images/truncated.jpg");
        ImageDecoder.BadImageException e = assertThrows(ImageDecoder.BadImageException.class,
                () -> ImageDecoder.decode(truncated));
        assertTrue(e.getMessage().contains("truncated.jpg"), e.getMessage());
        Path empty = Files.write(tmp.resolve("empty.jpg"), new byte[0]);
        assertTrue(assertThrows(ImageDecoder.BadImageException.class, () -> ImageDecoder.decode(empty)).getMessage()
                .contains("empty"));
        Path text = Files.writeString(tmp.resolve("notes.png"), "not an image");
        assertThrows(ImageDecoder.BadImageException.class, () -> ImageDecoder.decode(text));
        // Half of a real PNG.
        byte[] png = Files.readAllBytes(Fixtures.file("images/chelsea.png"));
        Path half = Files.write(tmp.resolve("half.png"), java.util.Arrays.copyOf(png, png.length / 2));
        assertThrows(ImageDecoder.BadImageException.class, () -> ImageDecoder.decode(half));
    }

    private static byte[] filled(int n, byte v) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, v);
        return b;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(3).nextBytes(b);
        return b;
    }
}
