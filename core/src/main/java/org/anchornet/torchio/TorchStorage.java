package org.anchornet.torchio;

/**
 * The flat buffer behind one or more tensors, as torch stores it: little-endian elements of one dtype.
 * Tensors that were views of one storage when saved share one instance here, as they do in torch.
 */
public final class TorchStorage {
    private final DType dtype;
    private final long numel;
    private byte[] bytes;

    TorchStorage(DType dtype, long numel) {
        if (numel < 0 || numel > (Integer.MAX_VALUE - 8) / dtype.elementSize()) {
            throw new IllegalArgumentException(
                    "storage of " + numel + " " + dtype + " elements is larger than this reader supports (2 GiB)");
        }
        this.dtype = dtype;
        this.numel = numel;
    }

    /** Wraps little-endian bytes; the array is owned by the storage from now on. */
    public static TorchStorage wrap(DType dtype, byte[] littleEndianBytes) {
        if (littleEndianBytes.length % dtype.elementSize() != 0) {
            throw new IllegalArgumentException(
                    littleEndianBytes.length + " bytes is not a whole number of " + dtype + " elements");
        }
        TorchStorage storage = new TorchStorage(dtype, littleEndianBytes.length / dtype.elementSize());
        storage.bytes = littleEndianBytes;
        return storage;
    }

    public DType dtype() {
        return dtype;
    }

    public long numel() {
        return numel;
    }

    public long byteSize() {
        return numel * dtype.elementSize();
    }

    boolean isLoaded() {
        return bytes != null;
    }

    void load(byte[] data) {
        if (data.length != byteSize()) {
            throw new IllegalArgumentException(
                    "storage holds " + data.length + " bytes, expected " + byteSize() + " (" + numel + " × " + dtype + ")");
        }
        this.bytes = data;
    }

    /** The raw little-endian bytes; callers must not modify them. */
    byte[] bytes() {
        if (bytes == null) {
            throw new IllegalStateException("storage data was never read from the file");
        }
        return bytes;
    }
}
