package org.anchornet.torchio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** The float32 direct buffer that parameters adopt holds exactly the tensor's elements, for views and other dtypes. */
class TorchTensorTest {
    private static final float[] STORAGE = {0f, 1.5f, -2f, 3.25f, 4f, -5.5f, 6f, 7.75f, -8f, 9f};

    @Test
    void contiguousViewWithOffset() {
        TorchTensor whole = TorchTensor.ofFloats(STORAGE, 10);
        TorchTensor view = new TorchTensor(whole.storage(), 3, new long[] {2, 3}, new long[] {3, 1});
        assertSameElements(view, new float[] {3.25f, 4f, -5.5f, 6f, 7.75f, -8f});
    }

    @Test
    void transposedView() {
        TorchTensor whole = TorchTensor.ofFloats(STORAGE, 10);
        TorchTensor view = new TorchTensor(whole.storage(), 0, new long[] {3, 2}, new long[] {1, 3});
        assertSameElements(view, new float[] {0f, 3.25f, 1.5f, 4f, -2f, -5.5f});
    }

    @Test
    void float64IsConverted() {
        ByteBuffer bytes = ByteBuffer.allocate(3 * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asDoubleBuffer().put(new double[] {0.1, -2.5, 1e10});
        assertSameElements(TorchTensor.of(DType.FLOAT64, bytes.array(), 3), new float[] {0.1f, -2.5f, 1e10f});
    }

    private static void assertSameElements(TorchTensor tensor, float[] expected) {
        ByteBuffer buffer = tensor.toFloat32DirectBuffer();
        assertTrue(buffer.isDirect());
        assertEquals(ByteOrder.nativeOrder(), buffer.order());
        assertEquals(0, buffer.position());
        assertEquals(expected.length * Float.BYTES, buffer.remaining());
        float[] actual = new float[expected.length];
        buffer.asFloatBuffer().get(actual);
        assertArrayEquals(expected, actual);
        assertArrayEquals(tensor.toFloatArray(), actual);
    }
}
