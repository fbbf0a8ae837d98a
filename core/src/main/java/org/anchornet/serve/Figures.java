package org.anchornet.serve;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.anchornet.data.RgbImage;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.PredictionReport;
import org.anchornet.report.PredictionFigures;

/** The predictions figure, the class activation map and the top-10 chart of one answer, as PNG data URIs. */
final class Figures {
    private Figures() {}

    static Map<String, String> dataUris(RgbImage image, Prediction p, PredictionReport report, CascadeConfig config)
            throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("predictions", png(PredictionFigures.predictions(image, p, report)));
        BufferedImage cam = PredictionFigures.cam(image, p, config);
        if (cam != null) {
            out.put("cam", png(cam));
        }
        out.put("top10", png(PredictionFigures.top10(report).createBufferedImage(800, 420)));
        return out;
    }

    private static String png(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(bytes.toByteArray());
    }
}
