package org.anchornet.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageBatchTest {
    private static float[] image(int side, float offset) {
        float[] v = new float[3 * side * side];
        for (int i = 0; i < v.length; i++) {
            v[i] = offset + i;
        }
        return v;
    }

    @Test
    void packsImagesOneAfterAnotherAsAnNx3xSxSTensor() {
        float[] a = image(4, 0);
        float[] b = image(4, 1000);
        ImageBatch batch = ImageBatch.pack(List.of(a, b), 4);
        assertEquals(2, batch.count());
        assertEquals(48, batch.valuesPerImage());
        assertArrayEquals(b, batch.image(1));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = batch.toNDArray(m);
            assertEquals(new Shape(2, 3, 4, 4), x.getShape());
            // channel 2, row 3, column 1 of the second image, as PyTorch indexes x[1, 2, 3, 1]
            assertEquals(b[2 * 16 + 3 * 4 + 1], x.getFloat(1, 2, 3, 1));
            assertEquals(a[0], x.getFloat(0, 0, 0, 0));
        }
    }

    @Test
    void findsTheSideOfSquareImagesAndRefusesOthers() {
        assertEquals(5, ImageBatch.pack(List.of(image(5, 0))).side());
        assertEquals(0, ImageBatch.pack(List.of()).count());
        IllegalArgumentException notSquare = assertThrows(IllegalArgumentException.class,
                () -> ImageBatch.pack(List.of(new float[3 * 4 * 5])));
        assertTrue(notSquare.getMessage().contains("60 values"), notSquare.getMessage());
    }

    @Test
    void refusesImagesOfTheWrongSizeNamingWhichOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageBatch.pack(List.of(image(4, 0), image(3, 0)), 4));
        assertTrue(e.getMessage().startsWith("image 1 has 27 values"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ImageBatch(new float[47], 1, 4));
        assertThrows(IllegalArgumentException.class, () -> new ImageBatch(new float[0], -1, 4));
        assertEquals(0, ImageBatch.empty(224).count());
    }
}
