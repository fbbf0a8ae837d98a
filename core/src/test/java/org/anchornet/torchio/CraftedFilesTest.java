package org.anchornet.torchio;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import net.razorvine.pickle.Opcodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files crafted to crash or exhaust a reader: each is refused with a one-line error, quickly, with bounded memory,
 * and never as a StackOverflowError or OutOfMemoryError.
 */
class CraftedFilesTest {
    @TempDir Path tmp;

    /** A torch zip holding a pickle (and optional storages), the way torch.save lays it out. */
    private Path torchZip(String name, byte[] pickle, boolean deflateData, byte[]... storages) throws IOException {
        return torchZip(name, pickle, deflateData, 1, storages);
    }

    /** With each storage written {@code repeat} times in a row (a large, highly compressible entry). */
    private Path torchZip(String name, byte[] pickle, boolean deflateData, int repeat, byte[]... storages)
            throws IOException {
        Path file = tmp.resolve(name);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            stored(zip, "archive/data.pkl", pickle);
            for (int i = 0; i < storages.length; i++) {
                if (deflateData) {
                    ZipEntry e = new ZipEntry("archive/data/" + i);
                    e.setMethod(ZipEntry.DEFLATED);
                    zip.putNextEntry(e);
                    for (int r = 0; r < repeat; r++) {
                        zip.write(storages[i]);
                    }
                    zip.closeEntry();
                } else {
                    stored(zip, "archive/data/" + i, storages[i]);
                }
            }
        }
        return file;
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** Reads a file that must be refused; returns the one-line message. */
    private static String refused(Path file) {
        long t0 = System.nanoTime();
        TorchFileException e = assertThrows(TorchFileException.class, () -> TorchReader.read(file));
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "refused quickly");
        assertTrue(e.getMessage().lines().count() == 1, e.getMessage());
        return e.getMessage();
    }

    private static final class Pickle {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Pickle text(String s) {
            out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        byte[] done() {
            op(Opcodes.STOP);
            return out.toByteArray();
        }
    }

    @Test
    void aListThatContainsItself() throws Exception {
        byte[] p = new Pickle().op(Opcodes.PROTO, 2, Opcodes.EMPTY_LIST, Opcodes.BINPUT, 0, Opcodes.BINGET, 0,
                Opcodes.APPEND).done();
        assertTrue(refused(torchZip("cycle.pth", p, false)).contains("contains itself"));
    }

    @Test
    void aStateDictWhoseStateDictEntryIsItself() throws Exception {
        byte[] p = new Pickle().op(Opcodes.PROTO, 2, Opcodes.EMPTY_DICT, Opcodes.BINPUT, 0, Opcodes.SHORT_BINUNICODE,
                10).text("state_dict").op(Opcodes.BINGET, 0, Opcodes.SETITEM).done();
        assertTrue(refused(torchZip("self.pth", p, false)).contains("contains itself"));
    }

    @Test
    void listsAndDictsNestedThousandsDeep() throws Exception {
        for (int depth : new int[] {3000, 5000, 200_000}) {
            Pickle lists = new Pickle().op(Opcodes.PROTO, 2);
            Pickle dicts = new Pickle().op(Opcodes.PROTO, 2);
            for (int i = 0; i < depth; i++) {
                lists.op(Opcodes.MARK);
                dicts.op(Opcodes.MARK, Opcodes.BININT1, 1);
            }
            lists.op(Opcodes.NONE);
            dicts.op(Opcodes.NONE);
            for (int i = 0; i < depth; i++) {
                lists.op(Opcodes.LIST);
                dicts.op(Opcodes.DICT);
            }
            assertTrue(refused(torchZip("deep-list-" + depth + ".pth", lists.done(), false)).contains("nested"));
            assertTrue(refused(torchZip("deep-dict-" + depth + ".pth", dicts.done(), false)).contains("nested"));
        }
    }

    @Test
    void afewHundredBytesOfSharedListsThatExpandToGigabytes() throws Exception {
        // level 0 = [None × 10]; level k = [level k−1 × 10]: 10^30 values from ~600 bytes
        Pickle p = new Pickle().op(Opcodes.PROTO, 2, Opcodes.MARK);
        for (int i = 0; i < 10; i++) {
            p.op(Opcodes.NONE);
        }
        p.op(Opcodes.LIST, Opcodes.BINPUT, 0);
        for (int level = 1; level <= 30; level++) {
            p.op(Opcodes.POP, Opcodes.MARK);
            for (int i = 0; i < 10; i++) {
                p.op(Opcodes.BINGET, 0);
            }
            p.op(Opcodes.LIST, Opcodes.BINPUT, 0);
        }
        byte[] bytes = p.done();
        assertTrue(bytes.length < 1000, bytes.length + " bytes");
        assertTrue(refused(torchZip("laughs.pth", bytes, false)).contains("expand"));
    }

    @Test
    void deflatedStoragesThatWouldInflateToGigabytes() throws Exception {
        long numel = 1L << 26; // 256 MiB of float32 that deflate to a fraction of a megabyte
        byte[] tensor = tensorPickle(numel);
        Path file = torchZip("bomb.pth", tensor, true, 256, new byte[1 << 20]);
        assertTrue(Files.size(file) < (2 << 20), Files.size(file) + " bytes");
        String m = refused(file);
        assertTrue(m.contains("zip bomb"), m);
    }

    @Test
    void aTensorWhoseElementCountOverflows64Bits() throws Exception {
        // storage of 1 element; sizes (2^40, 2^40, 0): an empty tensor whose size does not fit 64 bits
        byte[] p = new Pickle().op(Opcodes.PROTO, 2).op(Opcodes.GLOBAL).text("torch._utils\n_rebuild_tensor_v2\n")
                .op(Opcodes.MARK).op(Opcodes.MARK).op(Opcodes.SHORT_BINUNICODE, 7).text("storage")
                .op(Opcodes.GLOBAL).text("torch\nFloatStorage\n").op(Opcodes.SHORT_BINUNICODE, 1).text("0")
                .op(Opcodes.SHORT_BINUNICODE, 3).text("cpu").op(Opcodes.BININT1, 1).op(Opcodes.TUPLE)
                .op(Opcodes.BINPERSID).op(Opcodes.BININT1, 0)
                .op(Opcodes.MARK).op(Opcodes.LONG1, 8, 0, 0, 0, 0, 0, 1, 0, 0).op(Opcodes.LONG1, 8, 0, 0, 0, 0, 0, 1, 0,
                        0).op(Opcodes.BININT1, 0).op(Opcodes.TUPLE)
                .op(Opcodes.MARK).op(Opcodes.BININT1, 1).op(Opcodes.BININT1, 1).op(Opcodes.BININT1, 1).op(Opcodes.TUPLE)
                .op(Opcodes.NEWFALSE).op(Opcodes.EMPTY_DICT).op(Opcodes.TUPLE).op(Opcodes.REDUCE).done();
        String m = refused(torchZip("overflow.pth", p, false, new byte[4]));
        assertTrue(m.contains("overflows"), m);
    }

    /** A pickle of one float tensor of {@code numel} elements in storage 0. */
    private static byte[] tensorPickle(long numel) {
        Pickle p = new Pickle().op(Opcodes.PROTO, 2).op(Opcodes.GLOBAL).text("torch._utils\n_rebuild_tensor_v2\n")
                .op(Opcodes.MARK).op(Opcodes.MARK).op(Opcodes.SHORT_BINUNICODE, 7).text("storage")
                .op(Opcodes.GLOBAL).text("torch\nFloatStorage\n").op(Opcodes.SHORT_BINUNICODE, 1).text("0")
                .op(Opcodes.SHORT_BINUNICODE, 3).text("cpu").op(Opcodes.BININT);
        int n = (int) numel;
        p.op(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
        p.op(Opcodes.TUPLE).op(Opcodes.BINPERSID).op(Opcodes.BININT1, 0).op(Opcodes.MARK).op(Opcodes.BININT);
        p.op(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
        p.op(Opcodes.TUPLE).op(Opcodes.MARK).op(Opcodes.BININT1, 1).op(Opcodes.TUPLE).op(Opcodes.NEWFALSE)
                .op(Opcodes.EMPTY_DICT).op(Opcodes.TUPLE).op(Opcodes.REDUCE);
        return p.done();
    }
}
