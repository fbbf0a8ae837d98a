package org.anchornet.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.anchornet.data.RgbImage;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.PredictionReport;
import org.jfree.chart.JFreeChart;

/**
 * The three pictures of one prediction that the method's hosted demo shows: the image with its windows numbered and
 * the prediction after each stage, the class activation map, and a bar chart of the top-10 classes.
 */
public final class PredictionFigures {
    private PredictionFigures() {}

    /** The image as the networks saw it, every proposed window numbered, and the prediction after each stage. */
    public static BufferedImage predictions(RgbImage image, Prediction p, PredictionReport report) {
        List<String> stages = new ArrayList<>();
        for (PredictionReport.StagePrediction s : report.stages()) {
            stages.add(String.format(Locale.ROOT, "%s (%.2f)", s.className(), s.confidence()));
        }
        String caption = String.format(Locale.ROOT, "left after stage %d: %.3f G multiply-adds", p.exitStage(),
                report.gmacs());
        return Figures.windowsGrid(List.of(new Figures.Annotated(image, p.windows(), stages, caption, true)), 1);
    }

    /** The class activation map over the image, or null when the image left before AnchorNet ran. */
    public static BufferedImage cam(RgbImage image, Prediction p, CascadeConfig config) {
        if (p.cam() == null) {
            return null;
        }
        int side = (int) Math.round(Math.sqrt(p.cam().length));
        return Figures.camGrid(List.of(image), List.of(p.cam()), side, config.stride(), config.patchSize(), 1);
    }

    public static JFreeChart top10(PredictionReport report) {
        return Figures.bars("Top-10 classes", "probability",
                report.top10().stream().map(PredictionReport.ClassProbability::className).toList(),
                report.top10().stream().mapToDouble(PredictionReport.ClassProbability::probability).toArray());
    }

    /** Writes {@code <base>_predictions.png}, {@code <base>_cam.png} (when there is a map) and the top-10 chart. */
    public static void save(Path folder, String base, RgbImage image, Prediction p, PredictionReport report,
            CascadeConfig config) throws IOException {
        Files.createDirectories(folder);
        Figures.savePng(predictions(image, p, report), folder.resolve(base + "_predictions.png"));
        BufferedImage cam = cam(image, p, config);
        if (cam != null) {
            Figures.savePng(cam, folder.resolve(base + "_cam.png"));
        }
        Charts.save(top10(report), folder, base + "_top10", 800, 420);
    }

    /** The same three pictures as PNG data URIs (keys predictions, cam when there is a map, top10), for a web page. */
    public static Map<String, String> dataUris(RgbImage image, Prediction p, PredictionReport report,
            CascadeConfig config) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("predictions", pngDataUri(predictions(image, p, report)));
        BufferedImage cam = cam(image, p, config);
        if (cam != null) {
            out.put("cam", pngDataUri(cam));
        }
        out.put("top10", pngDataUri(top10(report).createBufferedImage(800, 420)));
        return out;
    }

    private static String pngDataUri(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray());
    }
}
