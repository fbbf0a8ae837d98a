package org.anchornet.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.anchornet.data.RgbImage;
import org.anchornet.localize.Window;
import org.anchornet.io.AtomicFiles;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/** Pictures for reports: canvases with their windows and predictions, CAM heat maps (Java2D), bar charts. */
public final class Figures {
    /**
     * One image with what the engine did on it.
     *
     * @param caption the first line under the image (e.g. the true class)
     * @param stageLabels the predicted class after each stage the image went through
     * @param correct whether the last prediction is right (its colour)
     */
    public record Annotated(RgbImage image, List<Window> windows, List<String> stageLabels, String caption,
            boolean correct) {}

    private static final Color[] WINDOW_COLORS = {
        new Color(0xff3b30), new Color(0xffcc00), new Color(0x34c759), new Color(0x0a84ff), new Color(0xbf5af2),
        new Color(0xff9f0a)
    };

    private Figures() {}

    /** A grid of images, each with numbered windows and the prediction after every stage it went through. */
    public static BufferedImage windowsGrid(List<Annotated> items, int columns) {
        int cell = items.get(0).image().width();
        int caption = 18 * 7;
        int rows = (items.size() + columns - 1) / columns;
        BufferedImage out = new BufferedImage(columns * (cell + 10) + 10, rows * (cell + caption + 10) + 10,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i < items.size(); i++) {
            Annotated a = items.get(i);
            int x0 = 10 + (i % columns) * (cell + 10);
            int y0 = 10 + (i / columns) * (cell + caption + 10);
            g.drawImage(a.image().toBufferedImage(), x0, y0, null);
            g.setStroke(new BasicStroke(2f));
            for (int w = 0; w < a.windows().size(); w++) {
                Window win = a.windows().get(w);
                g.setColor(WINDOW_COLORS[w % WINDOW_COLORS.length]);
                g.drawRect(x0 + win.left(), y0 + win.top(), win.size() - 1, win.size() - 1);
                g.drawString(Integer.toString(w + 1), x0 + win.left() + 4, y0 + win.top() + 14);
            }
            g.setColor(Color.DARK_GRAY);
            int ty = y0 + cell + 15;
            g.drawString(a.caption(), x0, ty);
            for (int s = 0; s < a.stageLabels().size(); s++) {
                ty += 15;
                boolean last = s == a.stageLabels().size() - 1;
                g.setColor(last ? (a.correct() ? new Color(0x1e7b34) : new Color(0xb00020)) : Color.DARK_GRAY);
                g.drawString((s == 0 ? "glance: " : "+patch " + s + ": ") + a.stageLabels().get(s)
                        + (last ? "  (exit)" : ""), x0, ty);
            }
        }
        g.dispose();
        return out;
    }

    /** Images with their class activation maps over them (red = high), and the map's cell grid. */
    public static BufferedImage camGrid(List<RgbImage> images, List<float[]> cams, int featureSide, int stride,
            int window, int columns) {
        int cell = images.get(0).width();
        int rows = (images.size() + columns - 1) / columns;
        BufferedImage out = new BufferedImage(columns * (cell + 10) + 10, rows * (cell + 10) + 10,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        for (int i = 0; i < images.size(); i++) {
            BufferedImage base = images.get(i).toBufferedImage();
            float[] cam = cams.get(i);
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : cam) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            // Each pixel takes the mean score of the windows covering it.
            int size = base.getWidth();
            float[] heat = new float[size * size];
            int[] count = new int[size * size];
            for (int r = 0; r < featureSide; r++) {
                for (int c = 0; c < featureSide; c++) {
                    float v = max > min ? (cam[r * featureSide + c] - min) / (max - min) : 0;
                    for (int y = r * stride; y < Math.min(size, r * stride + window); y++) {
                        for (int x = c * stride; x < Math.min(size, c * stride + window); x++) {
                            heat[y * size + x] += v;
                            count[y * size + x]++;
                        }
                    }
                }
            }
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    float h = count[y * size + x] == 0 ? 0 : heat[y * size + x] / count[y * size + x];
                    int rgb = base.getRGB(x, y);
                    int gray = rgb & 0xff;
                    int red = (int) (gray * 0.5 + 255 * h * 0.5);
                    int blue = (int) (gray * 0.5 + 255 * (1 - h) * 0.3);
                    int green = (int) (gray * 0.5);
                    base.setRGB(x, y, (Math.min(255, red) << 16) | (Math.min(255, green) << 8) | Math.min(255, blue));
                }
            }
            g.drawImage(base, 10 + (i % columns) * (cell + 10), 10 + (i / columns) * (cell + 10), null);
        }
        g.dispose();
        return out;
    }

    public static JFreeChart bars(String title, String valueLabel, List<String> names, double[] values) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (int i = 0; i < names.size(); i++) {
            data.addValue(values[i], valueLabel, names.get(i));
        }
        JFreeChart chart = ChartFactory.createBarChart(title, "", valueLabel, data, PlotOrientation.VERTICAL, false,
                false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setRangeGridlinePaint(new Color(0xdddddd));
        chart.getCategoryPlot().getRenderer().setSeriesPaint(0, new Color(0x1f77b4));
        return chart;
    }

    public static void savePng(BufferedImage image, Path file) throws IOException {
        AtomicFiles.write(file, out -> ImageIO.write(image, "png", out));
    }
}
