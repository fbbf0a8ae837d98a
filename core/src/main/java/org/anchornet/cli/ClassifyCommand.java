package org.anchornet.cli;

import com.google.gson.GsonBuilder;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageFiles;
import org.anchornet.data.ImageFolder;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.PredictionReport;
import org.anchornet.io.AtomicFiles;
import org.anchornet.localize.Window;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code anchornet classify}: batched early-exit classification of a folder or of image files. */
@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Classify images with real, batched early exit: per image the class, confidence, exit stage and"
                + " the windows used; then exits per stage and the images each network processed.")
final class ClassifyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CascadeOptions cascade;

    @Option(names = "--data", description = "An ImageFolder tree (root/<class>/<image>); labels give accuracy.")
    Path data;

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "Image files.")
    List<Path> images;

    @Option(names = "--batch-size", defaultValue = "32", converter = Converters.PositiveInt.class,
            description = "Batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--json", description = "Write per-image results (predict's JSON fields) here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if ((data == null) == (images == null || images.isEmpty())) {
            throw new IllegalArgumentException("give either --data DIR or image files");
        }
        ImageDataset dataset = data != null ? new ImageFolder(data) : new ImageFiles(images);
        PrintWriter out = spec.commandLine().getOut();
        List<PredictionReport> rows = new ArrayList<>();
        int correct = 0;
        int labelled = 0;
        long started;
        try (Cascade c = cascade.open(data != null ? dataset.classNames() : null, false, true);
                BatchLoader loader = new BatchLoader(dataset, (img, r) -> c.preprocess(img),
                        new BatchLoader.Options(batchSize, 1, 2, false, false), w -> out.println("warning: " + w))) {
            started = System.nanoTime();
            for (BatchLoader.Batch batch : loader.epoch(0, 0, false)) {
                if (batch.size() == 0) {
                    continue;
                }
                List<Prediction> predictions = c.classify(batch.images());
                for (int i = 0; i < batch.size(); i++) {
                    Prediction p = predictions.get(i);
                    PredictionReport row = PredictionReport.of(batch.ids().get(i), p, c.config());
                    out.printf(Locale.ROOT, "%s\t%s\t%.4f\tstage %d\t%s%n", row.image(), row.className(),
                            p.confidence(), p.exitStage(), windows(p.usedWindows()));
                    rows.add(row);
                    if (data != null) {
                        labelled++;
                        correct += p.predicted() == batch.labels()[i] ? 1 : 0;
                    }
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            out.printf(Locale.ROOT, "%d images in %.1f s (%.1f images/s, reading and decoding included)%n",
                    rows.size(), seconds, rows.size() / seconds);
            out.printf("images per stage: %s; AnchorNet ran on %d%n", Arrays.toString(c.stageCalls()),
                    c.windowSourceCalls());
            if (labelled > 0) {
                out.printf(Locale.ROOT, "top-1 %.2f%% on %d labelled images%n", 100.0 * correct / labelled, labelled);
            }
            if (loader.skipped() > 0) {
                out.printf("%d damaged files skipped%n", loader.skipped());
            }
        }
        if (json != null) {
            AtomicFiles.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(rows));
        }
        out.flush();
        return 0;
    }

    private static String windows(List<Window> windows) {
        StringBuilder sb = new StringBuilder();
        for (Window w : windows) {
            sb.append(String.format(Locale.ROOT, "(%d,%d,%d,%d)", w.top(), w.left(), w.bottomInclusive(),
                    w.rightInclusive()));
        }
        return sb.length() == 0 ? "-" : sb.toString();
    }
}
