package org.anchornet.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Training a strided 1×1 convolution as subsample-then-convolve computes what the strided kernel computes. */
class StridedPointwiseTest {
    @ParameterizedTest(name = "stride {0}, bias {1}")
    @CsvSource({"2, false", "2, true", "3, false"})
    void sameOutputsAndGradientsAsTheKernel(int stride, boolean bias) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Shape in = new Shape(3, 8, 9, 7);
            Layers.Conv kernel = Layers.conv(5, 1, stride, 0, 1, bias).subsampleFirstInTraining(false);
            Layers.Conv subsampled = Layers.conv(5, 1, stride, 0, 1, bias).subsampleFirstInTraining(true);
            assertTrue(subsampled.subsamplesFirstInTraining() && !kernel.subsamplesFirstInTraining());
            assertFalse(Layers.conv(5, 1, 1, 0, 1, bias).subsampleFirstInTraining(true).subsamplesFirstInTraining(),
                    "an unstrided convolution has nothing to subsample");
            kernel.initialize(manager, DataType.FLOAT32, in);
            subsampled.initialize(manager, DataType.FLOAT32, in);
            for (String name : bias ? new String[] {"weight", "bias"} : new String[] {"weight"}) {
                NDArray w = manager.randomNormal(kernel.getParameters().get(name).getArray().getShape());
                kernel.getParameters().get(name).getArray().set(w.toFloatArray());
                subsampled.getParameters().get(name).getArray().set(w.toFloatArray());
            }
            NDArray x = manager.randomNormal(in);
            NDArray upstream = manager.randomNormal(kernel.getOutputShapes(new Shape[] {in})[0]);
            float[][] a = trainStep(kernel, x, upstream, manager);
            float[][] b = trainStep(subsampled, x, upstream, manager);
            for (int i = 0; i < a.length; i++) {
                assertTrue(a[i].length == b[i].length && a[i].length > 0, "sizes of result " + i);
                double worst = 0;
                for (int k = 0; k < a[i].length; k++) {
                    worst = Math.max(worst, Math.abs(a[i][k] - b[i][k]));
                }
                assertTrue(worst < 1e-4, "result " + i + " differs by " + worst);
            }
        }
    }

    /** Output, input gradient and weight gradient of one training pass with the given upstream gradient. */
    private static float[][] trainStep(Layers.Conv conv, NDArray x, NDArray upstream, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray input = x.duplicate();
            input.attach(scope);
            input.setRequiresGradient(true);
            NDArray weight = conv.getParameters().get("weight").getArray();
            weight.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = conv.forward(new ParameterStore(scope, false), new NDList(input), true).singletonOrThrow();
                float[] out = y.toFloatArray();
                collector.backward(y.mul(upstream).sum());
                return new float[][] {out, input.getGradient().toFloatArray(), weight.getGradient().toFloatArray()};
            }
        }
    }
}
