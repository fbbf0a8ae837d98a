package org.anchornet.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.anchornet.io.AtomicFiles;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/** Accuracy-vs-cost charts written as PNG and SVG with JFreeChart. */
public final class Charts {
    /**
     * A named series of (x, y) points; {@code line} joins them, otherwise they are drawn as markers only;
     * {@code yError} (or null) draws ± that much around each y (e.g. the standard deviation over seeds).
     */
    public record Series(String name, double[] x, double[] y, boolean line, double[] yError) {
        public Series(String name, double[] x, double[] y, boolean line) {
            this(name, x, y, line, null);
        }
    }

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0x7f7f7f)
    };

    private Charts() {}

    public static JFreeChart xy(String title, String xLabel, String yLabel, List<Series> series) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setCapLength(6);
        for (int s = 0; s < series.size(); s++) {
            Series one = series.get(s);
            // sorted by cost: the ablations' validation-fit points are not monotone in test cost, and drawn in
            // budget order their lines ran back and forth
            YIntervalSeries xy = new YIntervalSeries(one.name(), true, true);
            for (int i = 0; i < one.x().length; i++) {
                double e = one.yError() == null ? 0 : one.yError()[i];
                xy.add(one.x()[i], one.y()[i], one.y()[i] - e, one.y()[i] + e);
            }
            data.addSeries(xy);
            renderer.setSeriesLinesVisible(s, one.line());
            renderer.setSeriesShapesVisible(s, true);
            renderer.setSeriesPaint(s, PALETTE[s % PALETTE.length]);
            renderer.setSeriesStroke(s, new BasicStroke(2f));
        }
        JFreeChart chart = org.jfree.chart.ChartFactory.createXYLineChart(title, xLabel, yLabel, data,
                PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        plot.setRenderer(renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        ((NumberAxis) plot.getDomainAxis()).setAutoRangeIncludesZero(false);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Writes {@code <base>.png} and {@code <base>.svg} in {@code dir}. */
    public static void save(JFreeChart chart, Path dir, String base, int width, int height) throws IOException {
        AtomicFiles.write(dir.resolve(base + ".png"), out -> ChartUtils.writeChartAsPNG(out, chart, width, height));
        SVGGraphics2D svg = new SVGGraphics2D(width, height);
        chart.draw(svg, new Rectangle(0, 0, width, height));
        String document = svg.getSVGDocument();
        AtomicFiles.write(dir.resolve(base + ".svg"), out -> out.write(document.getBytes(StandardCharsets.UTF_8)));
    }
}
