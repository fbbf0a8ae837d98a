package org.anchornet.cli;

import com.google.gson.GsonBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.PredictionReport;
import org.anchornet.report.PredictionFigures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code anchornet predict}: what the hosted demo of the method shows, for local images. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Predict image files with early exit and print JSON: top-10 classes and probabilities, the"
                + " prediction after each stage, the exit stage, what it cost, and every proposed window with the patch"
                + " network's own prediction where it looked. With --figures DIR also draw the predictions figure, the"
                + " CAM and a top-10 bar chart per image.")
final class PredictCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CascadeOptions cascade;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image files.")
    List<Path> images;

    @Option(names = "--figures", description = "Folder for <image>_predictions.png, _cam.png and _top10.png/svg.")
    Path figures;

    @Override
    public Integer call() throws Exception {
        List<PredictionReport> results = new ArrayList<>();
        try (Cascade c = cascade.open(null, false, true)) {
            for (Path file : images) {
                RgbImage image = ImageDecoder.decode(file);
                Prediction p;
                try {
                    p = c.classify(image);
                } catch (Transforms.ImageTooLargeException e) {
                    throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
                }
                PredictionReport report = PredictionReport.of(file.toString(), p, c.config());
                results.add(report);
                if (figures != null) {
                    String base = file.getFileName().toString().replaceAll("\\.[^.]+$", "");
                    PredictionFigures.save(figures, base, c.config().evaluationImage(image), p, report, c.config());
                }
            }
        }
        spec.commandLine().getOut().println(new GsonBuilder().setPrettyPrinting().create().toJson(results));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
