package org.anchornet.train;

import java.io.PrintWriter;
import java.util.Random;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;

/** How a training run reads its images: loaders, the training and evaluation transforms, and batches as tensors. */
final class TrainingData {
    private final TrainingSettings settings;
    private final PrintWriter log;

    TrainingData(TrainingSettings settings, PrintWriter log) {
        this.settings = settings;
        this.log = log;
    }

    BatchLoader loader(ImageDataset data, BatchLoader.Transform transform, boolean shuffle) {
        return new BatchLoader(data, transform, new BatchLoader.Options(settings.batchSize(), settings.workers(), 4,
                settings.strict(), shuffle), w -> log.println("warning: " + w));
    }

    float[] trainTransform(RgbImage image, Random random) {
        RgbImage out = switch (settings.augment()) {
            case RRC -> Transforms.randomHorizontalFlip(
                    Transforms.randomResizedCrop(image, settings.inputSize(), random), random);
            case FLIP -> Transforms.randomHorizontalFlip(fit(image), random);
            case NONE -> fit(image);
        };
        return Transforms.toNormalizedChw(out);
    }

    float[] evalTransform(RgbImage image, Random random) {
        return Transforms.evaluation(image, Math.max(settings.evalResize(), settings.inputSize()), settings.inputSize());
    }

    private RgbImage fit(RgbImage image) {
        if (image.width() == settings.inputSize() && image.height() == settings.inputSize()) {
            return image;
        }
        return Transforms.resizeAndCenterCrop(image, settings.inputSize(), settings.inputSize());
    }
}
