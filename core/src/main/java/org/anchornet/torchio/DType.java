package org.anchornet.torchio;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Optional;

/** Tensor element types that {@code torch.save} writes, with the storage class name torch pickles for each. */
public enum DType {
    FLOAT32("FloatStorage", 4, DataType.FLOAT32),
    FLOAT64("DoubleStorage", 8, DataType.FLOAT64),
    FLOAT16("HalfStorage", 2, DataType.FLOAT16),
    BFLOAT16("BFloat16Storage", 2, DataType.BFLOAT16),
    INT64("LongStorage", 8, DataType.INT64),
    INT32("IntStorage", 4, DataType.INT32),
    INT16("ShortStorage", 2, DataType.INT16),
    INT8("CharStorage", 1, DataType.INT8),
    UINT8("ByteStorage", 1, DataType.UINT8),
    BOOL("BoolStorage", 1, DataType.BOOLEAN);

    private final String storageClass;
    private final int elementSize;
    private final DataType djlType;

    DType(String storageClass, int elementSize, DataType djlType) {
        this.storageClass = storageClass;
        this.elementSize = elementSize;
        this.djlType = djlType;
    }

    /** The class name under module {@code torch}, e.g. {@code FloatStorage}. */
    public String storageClass() {
        return storageClass;
    }

    public int elementSize() {
        return elementSize;
    }

    public DataType djlType() {
        return djlType;
    }

    public boolean isFloatingPoint() {
        return this == FLOAT32 || this == FLOAT64 || this == FLOAT16 || this == BFLOAT16;
    }

    public static Optional<DType> fromStorageClass(String name) {
        return Arrays.stream(values()).filter(d -> d.storageClass.equals(name)).findFirst();
    }

    public static DType fromDjl(DataType type) {
        return Arrays.stream(values())
                .filter(d -> d.djlType == type)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no torch dtype for DJL type " + type));
    }
}
