package org.anchornet.torchio;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import net.razorvine.pickle.PickleException;

/**
 * Reads files written by {@code torch.save}: the zip format (torch ≥ 1.6) and the legacy format (earlier torch,
 * and torchvision's published ImageNet weights). Python values map to Java as: dict/OrderedDict → {@link
 * LinkedHashMap} (key order kept), list and tuple → unmodifiable {@link List}, int → {@link Long}, float → {@link
 * Double}, str → {@link String}, bool → {@link Boolean}, None → null, tensor or Parameter → {@link TorchTensor}.
 */
public final class TorchReader {
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;
    private static final long MAX_PICKLE_BYTES = 1L << 30;

    private TorchReader() {}

    /** Reads a whole file; every failure, including a refused global, is a {@link TorchFileException}. */
    public static Object read(Path path) throws TorchFileException {
        if (!Files.isRegularFile(path)) {
            throw new TorchFileException(path + ": no such file");
        }
        try {
            byte[] head = new byte[8];
            int n;
            try (InputStream in = Files.newInputStream(path)) {
                n = in.readNBytes(head, 0, head.length);
            }
            if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
                return checkedAndNormalized(readZip(path));
            }
            if (n >= 2 && (head[0] & 0xff) == 0x80) {
                return checkedAndNormalized(readLegacy(path));
            }
            throw new TorchFileException(path + ": not a PyTorch file (neither a torch zip archive nor a legacy"
                    + " pickle; files from torch < 0.4 in tar format are not supported)");
        } catch (SafeUnpickler.UnsafeGlobalException e) {
            throw new TorchFileException(path + ": " + e.getMessage(), e);
        } catch (TorchFileException e) {
            throw e;
        } catch (ZipException e) {
            throw new TorchFileException(path + ": corrupt or truncated zip archive (" + e.getMessage() + ")", e);
        } catch (IOException | PickleException | IllegalArgumentException | IllegalStateException | ClassCastException
                | IndexOutOfBoundsException | ArithmeticException | NullPointerException e) {
            throw new TorchFileException(path + ": corrupt or truncated PyTorch file (" + e.getMessage() + ")", e);
        } catch (StackOverflowError | OutOfMemoryError e) {
            throw new TorchFileException(path + ": pickle too deeply nested or too large to read safely", e);
        }
    }

    /** Reads a file that must hold a dict at the top level. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> readDict(Path path) throws TorchFileException {
        Object value = read(path);
        if (!(value instanceof Map)) {
            throw new TorchFileException(path + ": expected a dict at the top level, found "
                    + (value == null ? "None" : value.getClass().getSimpleName()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> e : ((Map<Object, Object>) value).entrySet()) {
            out.put(String.valueOf(e.getKey()), e.getValue());
        }
        return out;
    }

    private static Object readZip(Path path) throws IOException {
        try (ZipFile zip = new ZipFile(path.toFile())) {
            String prefix = null;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                String name = en.nextElement().getName();
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    prefix = name.substring(0, name.length() - "data.pkl".length());
                    break;
                }
            }
            if (prefix == null) {
                throw new TorchFileException(path + ": zip archive without <name>/data.pkl, not written by torch.save");
            }
            ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
            if (byteorder != null) {
                String order = new String(readEntry(zip, byteorder, 16), StandardCharsets.US_ASCII).trim();
                if (!order.equals("little")) {
                    throw new TorchFileException(path + ": byte order '" + order + "' is not supported");
                }
            }
            byte[] pickle = readEntry(zip, zip.getEntry(prefix + "data.pkl"), MAX_PICKLE_BYTES);
            Map<String, TorchStorage> storages = new LinkedHashMap<>();
            String dataPrefix = prefix + "data/";
            SafeUnpickler unpickler = new SafeUnpickler(new ByteArrayInputStream(pickle), pid -> {
                StorageRequest request = StorageRequest.of(pid);
                return storages.computeIfAbsent(request.key(), key -> {
                    TorchStorage storage = new TorchStorage(request.dtype(), request.numel());
                    ZipEntry entry = zip.getEntry(dataPrefix + key);
                    if (entry == null) {
                        throw new PickleException("storage '" + key + "' is missing from the archive");
                    }
                    if (entry.getSize() >= 0 && entry.getSize() != storage.byteSize()) {
                        throw new PickleException("storage '" + key + "' holds " + entry.getSize() + " bytes but its"
                                + " record says " + storage.numel() + " " + request.dtype() + " elements ("
                                + storage.byteSize() + " bytes)");
                    }
                    try {
                        storage.load(readEntry(zip, entry, storage.byteSize()));
                    } catch (IOException e) {
                        throw new PickleException("storage '" + key + "' cannot be read: " + e.getMessage());
                    }
                    return storage;
                });
            });
            return unpickler.loadNext();
        }
    }

    /** Largest unpacked/packed size ratio of a compressed entry: torch stores entries; floats deflate ~1.1×. */
    private static final long MAX_COMPRESSION_RATIO = 100;

    /**
     * Reads an entry after checking, from the archive's directory alone, that it unpacks to at most {@code maxBytes}
     * and is not a zip bomb: nothing is inflated for a file that would need gigabytes.
     */
    private static byte[] readEntry(ZipFile zip, ZipEntry entry, long maxBytes) throws IOException {
        if (entry.getSize() > maxBytes) {
            throw new TorchFileException("archive entry " + entry.getName() + " holds " + entry.getSize()
                    + " bytes, more than the " + maxBytes + " expected");
        }
        if (entry.getMethod() != ZipEntry.STORED && entry.getCompressedSize() >= 0
                && (entry.getSize() < 0 || entry.getSize() > MAX_COMPRESSION_RATIO * Math.max(1,
                        entry.getCompressedSize()))) {
            throw new TorchFileException("archive entry " + entry.getName() + " would inflate from "
                    + entry.getCompressedSize() + " to " + entry.getSize() + " bytes: a zip bomb, not a torch file");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] data = in.readNBytes((int) Math.min(maxBytes, Integer.MAX_VALUE - 8));
            if (entry.getSize() >= 0 && data.length != entry.getSize()) {
                throw new TorchFileException("archive entry " + entry.getName() + " is truncated");
            }
            return data;
        }
    }

    private static Object readLegacy(Path path) throws IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(Files.readAllBytes(path));
        Map<String, TorchStorage> storages = new LinkedHashMap<>();
        SafeUnpickler unpickler = new SafeUnpickler(in, pid -> {
            if (pid.length > 5 && pid[5] != null) {
                throw new PickleException("storage views (files from torch < 1.0) are not supported");
            }
            StorageRequest request = StorageRequest.of(pid);
            return storages.computeIfAbsent(request.key(), k -> new TorchStorage(request.dtype(), request.numel()));
        });
        Object magic = unpickler.loadNext();
        if (!(magic instanceof Number number) || !new BigInteger(number.toString()).equals(LEGACY_MAGIC)) {
            throw new TorchFileException(path + ": not a PyTorch file (pickle without torch's magic number)");
        }
        Object protocol = unpickler.loadNext();
        if (!(protocol instanceof Number p) || p.longValue() != LEGACY_PROTOCOL) {
            throw new TorchFileException(path + ": unsupported legacy protocol version " + protocol);
        }
        if (unpickler.loadNext() instanceof Map<?, ?> sysInfo && Boolean.FALSE.equals(sysInfo.get("little_endian"))) {
            throw new TorchFileException(path + ": big-endian legacy files are not supported");
        }
        Object result = unpickler.loadNext();
        if (!(unpickler.loadNext() instanceof List<?> keys)) {
            throw new TorchFileException(path + ": missing the list of storage keys");
        }
        byte[] count = new byte[8];
        for (Object key : keys) {
            TorchStorage storage = storages.get(String.valueOf(key));
            if (storage == null) {
                throw new TorchFileException(path + ": data for unknown storage '" + key + "'");
            }
            if (in.readNBytes(count, 0, 8) != 8) {
                throw new TorchFileException(path + ": truncated before the data of storage '" + key + "'");
            }
            long numel = ByteBuffer.wrap(count).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (numel != storage.numel()) {
                throw new TorchFileException(path + ": storage '" + key + "' has " + numel + " elements, header said "
                        + storage.numel());
            }
            byte[] data = in.readNBytes((int) storage.byteSize());
            if (data.length != storage.byteSize()) {
                throw new TorchFileException(path + ": truncated in the data of storage '" + key + "'");
            }
            storage.load(data);
        }
        for (Map.Entry<String, TorchStorage> e : storages.entrySet()) {
            if (!e.getValue().isLoaded()) {
                throw new TorchFileException(path + ": no data for storage '" + e.getKey() + "'");
            }
        }
        return result;
    }

    /** The fields of a pickled persistent id ('storage', storage_type, key, location, numel, ...). */
    private record StorageRequest(DType dtype, String key, long numel) {
        static StorageRequest of(Object[] pid) {
            if (!(pid[1] instanceof SafeUnpickler.StorageType type)) {
                throw new PickleException("unsupported storage type in persistent id");
            }
            if (!(pid[4] instanceof Number numel) || numel.longValue() < 0) {
                throw new PickleException("invalid storage size " + pid[4]);
            }
            return new StorageRequest(type.dtype(), String.valueOf(pid[2]), numel.longValue());
        }
    }

    /** The limits of {@link PickleLimits} first, then Java-friendly values: tuples become lists, ints longs. */
    private static Object checkedAndNormalized(Object root) {
        PickleLimits.check(root);
        return normalize(root, new IdentityHashMap<>());
    }

    private static Object normalize(Object value, Map<Object, Object> done) {
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (!(value instanceof Map || value instanceof List || value instanceof Object[])) {
            return value;
        }
        Object seen = done.get(value);
        if (seen != null) {
            return seen;
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            done.put(value, out);
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.put(normalize(e.getKey(), done), normalize(e.getValue(), done));
            }
            return out;
        }
        List<?> items = value instanceof Object[] array ? java.util.Arrays.asList(array) : (List<?>) value;
        List<Object> out = new ArrayList<>(items.size());
        List<Object> view = Collections.unmodifiableList(out);
        done.put(value, view);
        for (Object item : items) {
            out.add(normalize(item, done));
        }
        return view;
    }
}
