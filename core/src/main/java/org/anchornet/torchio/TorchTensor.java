package org.anchornet.torchio;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor as torch pickles it: a view (offset, shape, strides in elements) into a {@link TorchStorage}.
 * Immutable; conversions copy.
 */
public final class TorchTensor {
    private final TorchStorage storage;
    private final long offset;
    private final long[] shape;
    private final long[] stride;

    TorchTensor(TorchStorage storage, long offset, long[] shape, long[] stride) {
        if (shape.length != stride.length) {
            throw new IllegalArgumentException(
                    "tensor has " + shape.length + " sizes but " + stride.length + " strides");
        }
        long last = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0 || stride[i] < 0) {
                throw new IllegalArgumentException(
                        "negative size or stride: size " + Arrays.toString(shape) + ", stride " + Arrays.toString(stride));
            }
        }
        long numel = product(shape);
        if (numel > 0) {
            try {
                for (int i = 0; i < shape.length; i++) {
                    last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
                }
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor view (offset " + offset + ", size " + Arrays.toString(shape)
                        + ", stride " + Arrays.toString(stride) + ") overflows 64-bit indices");
            }
        }
        if (offset < 0 || (numel > 0 && last >= storage.numel())) {
            throw new IllegalArgumentException("tensor view (offset " + offset + ", size " + Arrays.toString(shape)
                    + ", stride " + Arrays.toString(stride) + ") reaches past its storage of " + storage.numel()
                    + " elements");
        }
        this.storage = storage;
        this.offset = offset;
        this.shape = shape.clone();
        this.stride = stride.clone();
    }

    /** A contiguous tensor over the given little-endian bytes. */
    public static TorchTensor of(DType dtype, byte[] littleEndianBytes, long... shape) {
        long numel = product(shape);
        if (numel * dtype.elementSize() != littleEndianBytes.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + numel * dtype.elementSize()
                    + " bytes of " + dtype + ", got " + littleEndianBytes.length);
        }
        return new TorchTensor(TorchStorage.wrap(dtype, littleEndianBytes), 0, shape, contiguousStrides(shape));
    }

    public static TorchTensor ofFloats(float[] values, long... shape) {
        ByteBuffer buf = newBuffer(values.length * 4L);
        buf.asFloatBuffer().put(values);
        return of(DType.FLOAT32, buf.array(), shape);
    }

    public static TorchTensor ofLongs(long[] values, long... shape) {
        ByteBuffer buf = newBuffer(values.length * 8L);
        buf.asLongBuffer().put(values);
        return of(DType.INT64, buf.array(), shape);
    }

    public static TorchTensor ofBooleans(boolean[] values, long... shape) {
        byte[] bytes = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            bytes[i] = (byte) (values[i] ? 1 : 0);
        }
        return of(DType.BOOL, bytes, shape);
    }

    /** Copies an NDArray (any device) into a contiguous tensor of the same dtype and shape. */
    public static TorchTensor fromNDArray(NDArray array) {
        DType dtype = DType.fromDjl(array.getDataType());
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("big-endian hosts are not supported");
        }
        ByteBuffer data = array.toByteBuffer();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return of(dtype, bytes, array.getShape().getShape());
    }

    public DType dtype() {
        return storage.dtype();
    }

    public long[] shape() {
        return shape.clone();
    }

    public long[] stride() {
        return stride.clone();
    }

    public long storageOffset() {
        return offset;
    }

    /** The storage this tensor views; tensors saved as views of one storage return the same instance. */
    public TorchStorage storage() {
        return storage;
    }

    public int dim() {
        return shape.length;
    }

    public long numel() {
        return product(shape);
    }

    public boolean isContiguous() {
        return Arrays.equals(stride, contiguousStrides(shape)) || numel() <= 1;
    }

    /** The elements in row-major order as little-endian bytes. */
    public byte[] contiguousBytes() {
        int elementSize = dtype().elementSize();
        byte[] source = storage.bytes();
        long numel = numel();
        byte[] out = new byte[Math.toIntExact(numel * elementSize)];
        if (isContiguous()) {
            System.arraycopy(source, Math.toIntExact(offset * elementSize), out, 0, out.length);
            return out;
        }
        // Strided copy: walk the index space with an odometer; views are rare and small in checkpoints.
        long[] index = new long[shape.length];
        for (long n = 0; n < numel; n++) {
            long element = offset;
            for (int d = 0; d < shape.length; d++) {
                element += index[d] * stride[d];
            }
            System.arraycopy(source, Math.toIntExact(element * elementSize), out, Math.toIntExact(n * elementSize),
                    elementSize);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        return out;
    }

    /**
     * The elements as float32 in a direct buffer of the platform's byte order, which a DJL array adopts as its storage
     * without another copy. A contiguous float32 tensor is one bulk copy out of its storage; going through
     * {@link #toFloatArray} instead held four heap copies of every weight during a load (320 MB for DenseNet-201).
     */
    public ByteBuffer toFloat32DirectBuffer() {
        int n = Math.toIntExact(numel());
        ByteBuffer out = ByteBuffer.allocateDirect(Math.multiplyExact(n, Float.BYTES)).order(ByteOrder.nativeOrder());
        if (dtype() == DType.FLOAT32 && isContiguous()) {
            ByteBuffer source = ByteBuffer.wrap(storage.bytes(), Math.toIntExact(offset * Float.BYTES), n * Float.BYTES)
                    .order(ByteOrder.LITTLE_ENDIAN);
            out.asFloatBuffer().put(source.asFloatBuffer());
        } else {
            out.asFloatBuffer().put(toFloatArray());
        }
        return out;
    }

    public float[] toFloatArray() {
        double[] values = toDoubleArray();
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    /** All elements, converted to double (exact for every dtype but int64 beyond 2^53). */
    public double[] toDoubleArray() {
        ByteBuffer buf = ByteBuffer.wrap(contiguousBytes()).order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(numel());
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype()) {
                case FLOAT32 -> buf.getFloat();
                case FLOAT64 -> buf.getDouble();
                case FLOAT16 -> halfToFloat(buf.getShort());
                case BFLOAT16 -> Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
                case INT64 -> buf.getLong();
                case INT32 -> buf.getInt();
                case INT16 -> buf.getShort();
                case INT8, BOOL -> buf.get();
                case UINT8 -> buf.get() & 0xff;
            };
        }
        return out;
    }

    public long[] toLongArray() {
        if (dtype() == DType.INT64) {
            long[] out = new long[Math.toIntExact(numel())];
            ByteBuffer.wrap(contiguousBytes()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
            return out;
        }
        if (dtype().isFloatingPoint()) {
            throw new IllegalArgumentException("expected an integer tensor, got " + dtype());
        }
        return Arrays.stream(toDoubleArray()).mapToLong(v -> (long) v).toArray();
    }

    public boolean[] toBooleanArray() {
        byte[] bytes = contiguousBytes();
        if (dtype() != DType.BOOL && dtype() != DType.UINT8) {
            throw new IllegalArgumentException("expected a bool tensor, got " + dtype());
        }
        boolean[] out = new boolean[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[i] != 0;
        }
        return out;
    }

    /** A new NDArray with this tensor's dtype and shape, owned by {@code manager}. */
    public NDArray toNDArray(NDManager manager) {
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.toIntExact(numel() * dtype().elementSize()))
                .order(ByteOrder.nativeOrder());
        buf.put(contiguousBytes()).rewind();
        return manager.create(buf, new Shape(shape), dtype().djlType());
    }

    /** The one element of a tensor with numel 1, as a double. */
    public double item() {
        if (numel() != 1) {
            throw new IllegalArgumentException("item() needs a one-element tensor, shape is " + Arrays.toString(shape));
        }
        return toDoubleArray()[0];
    }

    /** Same dtype, shape and element values (storage layout may differ). */
    public boolean contentEquals(TorchTensor other) {
        return dtype() == other.dtype()
                && Arrays.equals(shape, other.shape)
                && Arrays.equals(contiguousBytes(), other.contiguousBytes());
    }

    @Override
    public String toString() {
        return "TorchTensor(" + dtype() + ", " + Arrays.toString(shape) + ")";
    }

    static long[] contiguousStrides(long[] shape) {
        long[] stride = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            stride[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return stride;
    }

    /** The element count; a size whose product overflows 64 bits is refused even when another size is zero. */
    static long product(long[] shape) {
        long p = 1;
        boolean empty = false;
        for (long s : shape) {
            empty |= s == 0;
            try {
                p = Math.multiplyExact(p, Math.max(1, s));
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor size " + Arrays.toString(shape) + " overflows a 64-bit"
                        + " element count");
            }
        }
        return empty ? 0 : p;
    }

    private static ByteBuffer newBuffer(long size) {
        return ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
    }

    // IEEE 754 binary16 to binary32; Float.float16ToFloat arrived only in Java 20.
    private static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            float value = mantissa / 1024f / 16384f; // subnormal: mantissa × 2^-24
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}
