package org.anchornet.torchio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.anchornet.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchReaderTest {
    @TempDir Path tmp;

    @Test
    void readsZipStateDictInFileOrder() throws Exception {
        Map<String, TorchTensor> sd = StateDicts.load(Fixtures.file("anchornet_state.pth"));
        List<String> keys = List.copyOf(sd.keySet());
        assertEquals("conv1.weight", keys.get(0));
        assertEquals("fc.bias", keys.get(keys.size() - 1));
        TorchTensor conv1 = sd.get("conv1.weight");
        assertEquals(DType.FLOAT32, conv1.dtype());
        assertArrayEquals(new long[] {16, 3, 3, 3}, conv1.shape());
        TorchTensor tracked = sd.get("bn1.num_batches_tracked");
        assertEquals(DType.INT64, tracked.dtype());
        assertEquals(0, tracked.dim());
        // BN of a fresh model: weight ones, running_var ones.
        assertTrue(Arrays.stream(sd.get("bn1.running_var").toDoubleArray()).allMatch(v -> v == 1.0));
    }

    @Test
    void legacyFormatReadsToIdenticalTensors() throws Exception {
        Map<String, TorchTensor> zip = StateDicts.load(Fixtures.file("anchornet_state.pth"));
        Map<String, TorchTensor> legacy = StateDicts.load(Fixtures.file("anchornet_state_legacy.pth"));
        assertEquals(List.copyOf(zip.keySet()), List.copyOf(legacy.keySet()));
        zip.forEach((k, t) -> assertTrue(t.contentEquals(legacy.get(k)), k));
    }

    @Test
    void wrappedCheckpointUnwrapsAndStripsModulePrefix() throws Exception {
        Map<String, Object> raw = TorchReader.readDict(Fixtures.file("anchornet_checkpoint_wrapped.pth.tar"));
        assertEquals(0.5, raw.get("acc"));
        assertEquals(3L, raw.get("epoch"));
        Map<String, TorchTensor> zip = StateDicts.load(Fixtures.file("anchornet_state.pth"));
        Map<String, TorchTensor> wrapped = StateDicts.load(Fixtures.file("anchornet_checkpoint_wrapped.pth.tar"));
        assertEquals(zip.keySet(), wrapped.keySet());
        zip.forEach((k, t) -> assertTrue(t.contentEquals(wrapped.get(k)), k));
    }

    @Test
    void referenceTableReads() throws Exception {
        Map<String, Object> table = TorchReader.readDict(Fixtures.file("reference_table.pth"));
        assertEquals("densenet201_95_[0.3, 0.3, 0.3, 0.3]", table.get("setup"));
        TorchTensor thresholds = assertInstanceOf(TorchTensor.class, table.get("thresholds"));
        TorchTensor predictions = assertInstanceOf(TorchTensor.class, table.get("predictions"));
        assertEquals(DType.FLOAT32, thresholds.dtype());
        assertEquals(DType.BOOL, predictions.dtype());
        assertArrayEquals(new long[] {50000, 6}, thresholds.shape());
        assertArrayEquals(new long[] {50000, 6}, predictions.shape());
        double[] conf = thresholds.toDoubleArray();
        assertTrue(Arrays.stream(conf).allMatch(v -> v > 0 && v <= 1.0 + 1e-6), "confidences are probabilities");
    }

    @Test
    void hostileFileIsRefusedAndNothingRuns() throws Exception {
        Path pwned = Path.of("/tmp/anchornet-pwned");
        Files.deleteIfExists(pwned);
        TorchFileException e = assertThrows(TorchFileException.class, () -> TorchReader.read(Fixtures.file("hostile.pth")));
        assertTrue(e.getMessage().contains("system"), e.getMessage());
        assertTrue(e.getMessage().contains("refused"), e.getMessage());
        assertFalse(Files.exists(pwned));
    }

    @Test
    void truncatedAndGarbageFilesGiveClearErrors() throws Exception {
        byte[] good = Files.readAllBytes(Fixtures.file("anchornet_state.pth"));
        byte[] legacy = Files.readAllBytes(Fixtures.file("anchornet_state_legacy.pth"));
        for (int cut : new int[] {10, 100, good.length / 2, good.length - 10}) {
            Path p = tmp.resolve("cut" + cut + ".pth");
            Files.write(p, Arrays.copyOf(good, cut));
            TorchFileException e = assertThrows(TorchFileException.class, () -> TorchReader.read(p));
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        }
        for (int cut : new int[] {5, 300, legacy.length / 2, legacy.length - 3}) {
            Path p = tmp.resolve("legacycut" + cut + ".pth");
            Files.write(p, Arrays.copyOf(legacy, cut));
            assertThrows(TorchFileException.class, () -> TorchReader.read(p));
        }
        Path empty = Files.write(tmp.resolve("empty.pth"), new byte[0]);
        assertThrows(TorchFileException.class, () -> TorchReader.read(empty));
        Path text = Files.writeString(tmp.resolve("text.pth"), "hello, not a checkpoint");
        assertTrue(assertThrows(TorchFileException.class, () -> TorchReader.read(text)).getMessage()
                .contains("not a PyTorch file"));
        assertThrows(TorchFileException.class, () -> TorchReader.read(tmp.resolve("missing.pth")));
    }

    @Test
    void hostileLengthFieldDoesNotAllocate() throws Exception {
        // PROTO 2, BINUNICODE claiming 2^31-1 bytes, then nothing.
        byte[] pickle = {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'a'};
        Path p = tmp.resolve("bomb.pth");
        byte[] legacyHeader = pickle;
        Files.write(p, legacyHeader);
        TorchFileException e = assertThrows(TorchFileException.class, () -> TorchReader.read(p));
        assertTrue(e.getMessage().contains("claims"), e.getMessage());
    }

    @Test
    void oldDenseNetKeysAreRenamed() {
        assertEquals("features.denseblock1.denselayer1.norm1.weight",
                StateDicts.renameOldDenseNetKey("features.denseblock1.denselayer1.norm.1.weight"));
        assertEquals("features.denseblock4.denselayer32.conv2.weight",
                StateDicts.renameOldDenseNetKey("features.denseblock4.denselayer32.conv.2.weight"));
        assertEquals("features.norm5.weight", StateDicts.renameOldDenseNetKey("features.norm5.weight"));
    }
}
