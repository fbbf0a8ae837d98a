package org.anchornet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every format and mode decodes to the pixels PIL's {@code Image.open(f).convert('RGB')} gives: gray, gray + alpha,
 * 16-bit gray, palettes with and without transparency, RGBA, bilevel, CMYK JPEG, embedded ICC profiles (ignored),
 * PPM/PGM and WebP. The images and PIL's pixels were made by scripts/make_decoding_fixtures.py.
 */
class DecodingParityTest {
    private static final Path DIR = Path.of("src/test/resources/decoding");

    @TempDir Path tmp;

    static Stream<Arguments> fixtures() throws IOException {
        return Files.readAllLines(DIR.resolve("index.tsv")).stream().filter(l -> !l.startsWith("#"))
                .map(l -> l.split("\t")).map(r -> Arguments.of(r[0], r[1], r[2], r[3]));
    }

    @ParameterizedTest(name = "{0} (PIL mode {3})")
    @MethodSource("fixtures")
    void decodesAsPilConvertsToRgb(String name, String width, String height, String mode) throws Exception {
        String[] row = {name, width, height, mode};
        Path file = DIR.resolve(name);
        byte[] expected = Files.readAllBytes(DIR.resolve(name.replace('.', '_') + ".rgb"));
        RgbImage image = ImageDecoder.decode(file);
        assertEquals(Integer.parseInt(row[1]), image.width(), name);
        assertEquals(Integer.parseInt(row[2]), image.height(), name);
        if (name.endsWith(".jpg")) {
            // libjpeg and the JDK's decoder may round an IDCT coefficient differently: at most one level
            int worst = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs((expected[i] & 0xff) - (image.pixels()[i] & 0xff)));
            }
            assertTrue(worst <= 1, name + " (PIL mode " + row[3] + ") differs by " + worst + " levels");
        } else {
            assertArrayEquals(expected, image.pixels(), name + " (PIL mode " + row[3] + ")");
        }
    }

    @Test
    void aGrayBufferedImageKeepsItsValues() {
        BufferedImage gray = new BufferedImage(4, 2, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(1, 1, 0, 60);
        RgbImage rgb = RgbImage.of(gray);
        assertEquals(60, rgb.get(1, 1, 0), "linear gray is not brightened by colour management");
        assertEquals(60, rgb.get(1, 1, 2));
    }

    @Test
    void everyExtensionImageFolderListsIsReadable() throws Exception {
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f : files.filter(p -> !p.toString().endsWith(".rgb") && !p.toString().endsWith(".tsv"))
                    .toList()) {
                assertTrue(ImageFolder.isImageFile(f), f + " is listed");
            }
        }
        for (String extension : ImageFolder.EXTENSIONS) {
            if (!extension.equals(".tiff") && !extension.equals(".jpeg")) {
                try (Stream<Path> files = Files.list(DIR)) {
                    assertTrue(files.anyMatch(p -> p.toString().endsWith(extension)), "a fixture for " + extension);
                }
            }
        }
    }

    @Test
    void aDeclaredSizeOfGigabytesIsRefusedBeforeDecoding() throws Exception {
        Path bomb = Files.write(tmp.resolve("bomb.png"), org.anchornet.testing.CraftedImages.pngDeclaring(100_000,
                100_000));
        long t0 = System.nanoTime();
        ImageDecoder.BadImageException e = assertThrows(ImageDecoder.BadImageException.class,
                () -> ImageDecoder.decode(bomb));
        assertTrue(e.getMessage().contains("100000×100000"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "refused without decoding");
    }
}
