package org.anchornet.torchio;

import org.anchornet.io.AtomicFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import net.razorvine.pickle.IObjectPickler;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.Pickler;

/**
 * Writes {@code .pth} files in torch's zip format ({@code archive/data.pkl}, {@code archive/data/<key>}, {@code
 * archive/version}). Accepts maps, lists, Object[] (as tuples), strings, numbers, booleans, null and {@link
 * TorchTensor}s. Tensors that share a storage are written as views of one storage, as torch does. Writes are atomic,
 * and the same content gives the same bytes.
 *
 * <p>The pickle uses only protocol-2 opcodes and globals that torch 2.x's {@code weights_only=True} loader (the
 * default of {@code torch.load} since 2.6) accepts; WeightsOnlyLoadTest scans what is written against that list.
 * torch 1.13's weights-only loader also refuses float values (BINFLOAT, pytorch#94670), which checkpoints and tables
 * hold, so there use {@code weights_only=False}; plain state dicts (the cascade's weight files) load either way.
 */
public final class TorchWriter {
    private static final String ARCHIVE = "archive/";
    private static final int ALIGNMENT = 64; // torch aligns storages so that files can be memory-mapped

    private TorchWriter() {}

    public static void write(Path path, Object value) throws IOException {
        AtomicFiles.write(path, out -> writeTo(out, value));
    }

    public static void writeTo(OutputStream target, Object value) throws IOException {
        Map<TorchStorage, String> keys = new IdentityHashMap<>();
        byte[] pickle = new TorchPickler(keys).dumps(value);
        CountingStream counting = new CountingStream(target);
        ZipOutputStream zip = new ZipOutputStream(counting);
        putStored(zip, counting, ARCHIVE + "data.pkl", pickle);
        putStored(zip, counting, ARCHIVE + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        // keys are 0, 1, 2, … in pickling order; write the storages in that order (the identity map's own order
        // changes from run to run, and the same content must give the same bytes)
        TorchStorage[] byKey = new TorchStorage[keys.size()];
        keys.forEach((storage, key) -> byKey[Integer.parseInt(key)] = storage);
        for (int k = 0; k < byKey.length; k++) {
            putStored(zip, counting, ARCHIVE + "data/" + k, byKey[k].bytes());
        }
        putStored(zip, counting, ARCHIVE + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
        zip.finish();
        zip.flush();
    }

    private static void putStored(ZipOutputStream zip, CountingStream counting, String name, byte[] data)
            throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(data.length);
        entry.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        entry.setCrc(crc.getValue());
        entry.setTime(315532800000L); // 1980-01-01: files are byte-identical for identical content
        // Pad the local header's extra field so the data starts on an aligned offset.
        zip.flush();
        long headerEnd = counting.count + 30 + name.getBytes(StandardCharsets.UTF_8).length + 4;
        int pad = (int) ((ALIGNMENT - headerEnd % ALIGNMENT) % ALIGNMENT);
        byte[] extra = new byte[4 + pad];
        extra[0] = 'F';
        extra[1] = 'B';
        extra[2] = (byte) pad;
        extra[3] = (byte) (pad >> 8);
        entry.setExtra(extra);
        zip.putNextEntry(entry);
        zip.write(data);
        zip.closeEntry();
    }

    /** Razorvine's pickler with torch's tensor and storage records added. */
    private static final class TorchPickler extends Pickler {
        private final Map<TorchStorage, String> keys;

        TorchPickler(Map<TorchStorage, String> keys) {
            super(false);
            this.keys = keys;
        }

        @Override
        protected IObjectPickler getCustomPickler(Class<?> type) {
            if (type == TorchTensor.class) {
                return (o, out, pickler) -> saveTensor((TorchTensor) o, out, pickler);
            }
            if (type == TorchStorage.class) {
                return (o, out, pickler) -> saveStorage((TorchStorage) o, out, pickler);
            }
            return super.getCustomPickler(type);
        }

        private static void saveTensor(TorchTensor t, OutputStream out, Pickler pickler) throws IOException {
            writeGlobal(out, "torch._utils", "_rebuild_tensor_v2");
            Object[] size = boxed(t.shape());
            Object[] stride = boxed(t.stride());
            out.write(Opcodes.MARK);
            pickler.save(t.storage());
            pickler.save(t.storageOffset());
            pickler.save(size);
            pickler.save(stride);
            pickler.save(false);
            writeGlobal(out, "collections", "OrderedDict");
            out.write(Opcodes.EMPTY_TUPLE);
            out.write(Opcodes.REDUCE);
            out.write(Opcodes.TUPLE);
            out.write(Opcodes.REDUCE);
        }

        private void saveStorage(TorchStorage storage, OutputStream out, Pickler pickler) throws IOException {
            String key = keys.computeIfAbsent(storage, s -> Integer.toString(keys.size()));
            out.write(Opcodes.MARK);
            pickler.save("storage");
            writeGlobal(out, "torch", storage.dtype().storageClass());
            pickler.save(key);
            pickler.save("cpu");
            pickler.save(storage.numel());
            out.write(Opcodes.TUPLE);
            out.write(Opcodes.BINPERSID);
        }

        private static void writeGlobal(OutputStream out, String module, String name) throws IOException {
            out.write(Opcodes.GLOBAL);
            out.write((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }

        private static Object[] boxed(long[] values) {
            Object[] out = new Object[values.length];
            for (int i = 0; i < values.length; i++) {
                out[i] = values[i];
            }
            return out;
        }
    }

    private static final class CountingStream extends java.io.FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
