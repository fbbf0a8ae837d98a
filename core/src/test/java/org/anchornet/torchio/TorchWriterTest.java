package org.anchornet.torchio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchWriterTest {
    @TempDir Path tmp;

    @Test
    void everyDtypeRoundTrips() throws Exception {
        Random random = new Random(7);
        Map<String, Object> content = new LinkedHashMap<>();
        for (DType dtype : DType.values()) {
            byte[] bytes = new byte[2 * 3 * dtype.elementSize()];
            random.nextBytes(bytes);
            if (dtype == DType.BOOL) {
                for (int i = 0; i < bytes.length; i++) {
                    bytes[i] = (byte) (bytes[i] & 1);
                }
            }
            content.put(dtype.name(), TorchTensor.of(dtype, bytes, 2, 3));
        }
        content.put("scalar", TorchTensor.ofLongs(new long[] {42}));
        content.put("empty", TorchTensor.ofFloats(new float[0], 0, 4));
        content.put("setup", "densenet201_95_[0.3]");
        content.put("epoch", 12L);
        content.put("acc", 0.75);
        content.put("flag", true);
        content.put("nothing", null);
        content.put("list", List.of(1L, "two", 3.5));
        content.put("nested", Map.of("lr", 0.1));
        Path file = tmp.resolve("all.pth");
        TorchWriter.write(file, content);

        Map<String, Object> back = TorchReader.readDict(file);
        assertEquals(List.copyOf(content.keySet()), List.copyOf(back.keySet()));
        for (DType dtype : DType.values()) {
            TorchTensor written = (TorchTensor) content.get(dtype.name());
            TorchTensor read = (TorchTensor) back.get(dtype.name());
            assertTrue(written.contentEquals(read), dtype.name());
        }
        assertEquals(42L, ((TorchTensor) back.get("scalar")).toLongArray()[0]);
        assertArrayEquals(new long[] {0, 4}, ((TorchTensor) back.get("empty")).shape());
        assertEquals("densenet201_95_[0.3]", back.get("setup"));
        assertEquals(12L, back.get("epoch"));
        assertEquals(0.75, back.get("acc"));
        assertEquals(true, back.get("flag"));
        assertEquals(null, back.get("nothing"));
        assertEquals(List.of(1L, "two", 3.5), back.get("list"));
        assertEquals(Map.of("lr", 0.1), back.get("nested"));
    }

    @Test
    void zipLayoutIsTorchsAndAligned() throws Exception {
        Path file = tmp.resolve("layout.pth");
        TorchWriter.write(file, Map.of("w", TorchTensor.ofFloats(new float[] {1, 2, 3}, 3)));
        List<String> names = new ArrayList<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            zip.stream().forEach(e -> names.add(e.getName()));
            for (ZipEntry e : zip.stream().toList()) {
                assertEquals(ZipEntry.STORED, e.getMethod(), e.getName());
            }
        }
        assertEquals(List.of("archive/data.pkl", "archive/byteorder", "archive/data/0", "archive/version"), names);
        // The storage starts on a 64-byte boundary, as torch writes it (mmap-able).
        byte[] all = java.nio.file.Files.readAllBytes(file);
        int at = indexOf(all, new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40});
        assertEquals(0, at % 64, "data offset " + at);
    }

    @Test
    void sharedStoragesAndViewsSurvive() throws Exception {
        float[] values = new float[12];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        TorchTensor base = TorchTensor.ofFloats(values, 3, 4);
        TorchTensor transposed = new TorchTensor(base.storage(), 0, new long[] {4, 3}, new long[] {1, 4});
        TorchTensor row = new TorchTensor(base.storage(), 4, new long[] {4}, new long[] {1});
        Path file = tmp.resolve("views.pth");
        TorchWriter.write(file, Map.of("base", base, "t", transposed, "row", row));
        Map<String, Object> back = TorchReader.readDict(file);
        TorchTensor t = (TorchTensor) back.get("t");
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.toFloatArray());
        assertArrayEquals(new float[] {4, 5, 6, 7}, ((TorchTensor) back.get("row")).toFloatArray());
        assertSame(t.storage(), ((TorchTensor) back.get("base")).storage());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
