package org.anchornet.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.Transforms;
import org.anchornet.data.RgbImage;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.io.AtomicFiles;
import org.anchornet.report.Charts;
import org.anchornet.report.Figures;

/** The demo's pictures: examples and class activation maps from the cascade, and the charts of a summary. */
final class DemoFigures {
    private DemoFigures() {}

    /**
     * The first test canvases with every window AnchorNet proposes and the prediction after each stage up to the one
     * the cascade's thresholds let it leave at (all stages are computed once, and the exit rule applied to them), and
     * their class activation maps.
     */
    static void examples(Cascade cascade, ImageDataset test, Path out) throws IOException {
        List<RgbImage> raw = new ArrayList<>();
        List<RgbImage> images = new ArrayList<>(); // as the networks see them: windows are drawn in these coordinates
        List<Integer> truth = new ArrayList<>();
        for (int i = 0; i < test.size() && images.size() < 8; i++) {
            try {
                ImageDataset.Sample sample = test.load(i);
                images.add(cascade.config().evaluationImage(sample.image()));
                raw.add(sample.image());
                truth.add(sample.label());
            } catch (ImageDecoder.BadImageException | Transforms.ImageTooLargeException damaged) {
                // counted where the images are scored; the figure shows the next ones
            }
        }
        int count = images.size();
        List<String> classes = cascade.config().classes();
        List<Prediction> every = cascade.trace(cascade.pack(raw));
        ExitThresholds thresholds = cascade.config().exitThresholds();
        List<Figures.Annotated> annotated = new ArrayList<>();
        List<float[]> cams = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Prediction p = every.get(i);
            int exit = ExitRule.exitStage(j -> p.stages().get(j).confidence(), thresholds);
            int answer = ExitRule.answerStage(j -> p.stages().get(j).confidence(), exit, thresholds.answer());
            List<String> labels = new ArrayList<>();
            for (int j = 0; j <= exit; j++) {
                labels.add(classes.get(p.stages().get(j).predicted()));
            }
            annotated.add(new Figures.Annotated(images.get(i), p.windows(), labels, "truth: "
                    + classes.get(truth.get(i)), p.stages().get(answer).predicted() == truth.get(i)));
            cams.add(p.cam());
        }
        Figures.savePng(Figures.windowsGrid(annotated, 4), out.resolve("examples.png"));
        int cells = (int) Math.round(Math.sqrt(cams.get(0).length));
        Figures.savePng(Figures.camGrid(images, cams, cells, cascade.config().stride(), cascade.config().patchSize(),
                4), out.resolve("cams.png"));
    }

    /** The frontier (with ± one standard deviation over seeds when there are several), exits and throughput. */
    static void charts(List<DemoSummary> runs, Path out) throws IOException {
        List<Charts.Series> series = new ArrayList<>();
        StringBuilder csv = new StringBuilder("series,seed,budget_gmacs,test_gmacs,test_top1\n");
        for (String source : DemoTables.SOURCES) {
            int points = runs.get(0).frontier().get(source).size();
            double[][] xy = meanAndSpread(runs, points, (s, i) -> s.frontier().get(source).get(i).testGmacs(),
                    (s, i) -> 100 * s.frontier().get(source).get(i).testTop1());
            series.add(new Charts.Series(Headline.label(source), xy[0], xy[1], true, runs.size() > 1 ? xy[2] : null));
            for (DemoSummary s : runs) {
                for (DemoSummary.FrontierPoint p : s.frontier().get(source)) {
                    csv.append(String.format(Locale.ROOT, "%s,%d,%.6f,%.6f,%.6f%n", source, s.settings().seed(),
                            p.budgetGmacs(), p.testGmacs(), p.testTop1()));
                }
            }
        }
        int sizes = runs.get(0).resolutions().size();
        double[][] res = meanAndSpread(runs, sizes, (s, i) -> s.resolutions().get(i).gmacs(),
                (s, i) -> 100 * s.resolutions().get(i).testTop1());
        series.add(new Charts.Series("resolution-scaled baselines (" + runs.get(0).resolutions().stream()
                .map(r -> Integer.toString(r.side())).reduce((a, b) -> a + ", " + b).orElse("") + " px)", res[0],
                res[1], true, runs.size() > 1 ? res[2] : null));
        for (DemoSummary s : runs) {
            for (DemoSummary.Resolution r : s.resolutions()) {
                csv.append(String.format(Locale.ROOT, "resolution %d px,%d,,%.6f,%.6f%n", r.side(),
                        s.settings().seed(), r.gmacs(), r.testTop1()));
            }
        }
        Charts.save(Charts.xy("Cluttered Fashion-MNIST test set: accuracy vs multiply-adds",
                "mean multiply-adds per image (G)", "top-1 accuracy (%)", series), out, "frontier", 900, 560);
        AtomicFiles.writeString(out.resolve("frontier.csv"), csv.toString());
        if (runs.size() == 1) {
            charts(runs.get(0), out);
        }
    }

    private static void charts(DemoSummary s, Path out) throws IOException {
        List<String> stages = new ArrayList<>();
        int[] exits = s.anchorNet().testExitsPerStage();
        double[] values = new double[exits.length];
        for (int j = 0; j < exits.length; j++) {
            stages.add(j == 0 ? "glance" : "window " + j);
            values[j] = exits[j];
        }
        Charts.save(Figures.bars("Where test canvases leave", "images", stages, values), out, "exits", 640, 420);
        if (s.bench() != null) {
            Charts.save(Figures.bars(String.format(Locale.ROOT, "Measured throughput (%d test canvases, batch %d,"
                    + " fresh process)", s.bench().images(), s.bench().batchSize()), "images / s",
                    List.of("early exit (AnchorNet)", "full resolution"),
                    new double[] {s.bench().engineImagesPerSecond(), s.bench().baselineImagesPerSecond()}), out,
                    "throughput", 640, 420);
        }
    }

    /** A value of a run at an index. */
    @FunctionalInterface
    private interface Value {
        double of(DemoSummary s, int index);
    }

    /** Mean x, mean y and the standard deviation of y over runs, per index. */
    private static double[][] meanAndSpread(List<DemoSummary> runs, int count, Value x, Value y) {
        double[][] out = new double[3][count];
        for (int i = 0; i < count; i++) {
            final int index = i;
            out[0][i] = Headline.Stat.of(runs, s -> x.of(s, index)).mean();
            Headline.Stat ys = Headline.Stat.of(runs, s -> y.of(s, index));
            out[1][i] = ys.mean();
            out[2][i] = ys.std();
        }
        return out;
    }
}
