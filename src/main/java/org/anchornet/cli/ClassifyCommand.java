package org.anchornet.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ImageDataset;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.ImageFolder;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;
import org.anchornet.dynamic.EarlyExitEngine;
import org.anchornet.model.ReceptiveField.Window;
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
    @Mixin EngineOptions engine;

    @Option(names = "--data", description = "An ImageFolder tree (root/<class>/<image>); labels give accuracy.")
    Path data;

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "Image files.")
    List<Path> images;

    @Option(names = "--batch-size", defaultValue = "32", description = "Batch size (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--json", description = "Write per-image results as JSON here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        if ((data == null) == (images == null || images.isEmpty())) {
            throw new IllegalArgumentException("give either --data DIR or image files");
        }
        ImageDataset dataset = data != null ? new ImageFolder(data) : new ImageFiles(images);
        PrintWriter out = spec.commandLine().getOut();
        List<Map<String, Object>> rows = new ArrayList<>();
        int correct = 0;
        int labelled = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            EngineOptions.Parts parts = engine.build(manager, data != null ? dataset.classNames() : null);
            int size = engine.inputSize;
            int resize = Transforms.evaluationResize(size);
            try (BatchLoader loader = new BatchLoader(dataset, (img, r) -> Transforms.evaluation(img, resize, size),
                    new BatchLoader.Options(batchSize, 1, 2, false, false), w -> out.println("warning: " + w))) {
                for (BatchLoader.Batch batch : loader.epoch(0, 0, false)) {
                    if (batch.size() == 0) {
                        continue;
                    }
                    try (NDManager scope = manager.newSubManager()) {
                        NDArray x = scope.create(batch.data(), new Shape(batch.size(), 3, size, size));
                        List<EarlyExitEngine.Decision> decisions = parts.engine().classify(x);
                        for (int i = 0; i < batch.size(); i++) {
                            EarlyExitEngine.Decision d = decisions.get(i);
                            String name = d.predicted() < parts.classes().size() ? parts.classes().get(d.predicted())
                                    : Integer.toString(d.predicted());
                            out.printf(Locale.ROOT, "%s\t%s\t%.4f\tstage %d\t%s%n", batch.ids().get(i), name,
                                    d.confidence(), d.exitStage(), windows(d.windows()));
                            Map<String, Object> row = new LinkedHashMap<>();
                            row.put("image", batch.ids().get(i));
                            row.put("class", name);
                            row.put("class_index", d.predicted());
                            row.put("confidence", d.confidence());
                            row.put("exit_stage", d.exitStage());
                            row.put("windows", d.windows().stream().map(w -> List.of(w.top(), w.left(),
                                    w.bottomInclusive(), w.rightInclusive())).toList());
                            rows.add(row);
                            if (data != null) {
                                labelled++;
                                correct += d.predicted() == batch.labels()[i] ? 1 : 0;
                            }
                        }
                    }
                }
                long[] calls = parts.engine().calls();
                out.printf("images per stage: %s; AnchorNet ran on %d%n", java.util.Arrays.toString(calls),
                        parts.engine().anchorNetCalls());
                if (labelled > 0) {
                    out.printf(Locale.ROOT, "top-1 %.2f%% on %d labelled images%n", 100.0 * correct / labelled,
                            labelled);
                }
                if (loader.skipped() > 0) {
                    out.printf("%d damaged files skipped%n", loader.skipped());
                }
            }
        }
        if (json != null) {
            org.anchornet.torchio.AtomicFiles.writeString(json, new GsonBuilder().setPrettyPrinting().create()
                    .toJson(rows));
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

    /** Loose image files as an unlabelled data set. */
    static final class ImageFiles implements ImageDataset {
        private final List<Path> files;

        ImageFiles(List<Path> files) throws IOException {
            for (Path f : files) {
                if (!Files.isRegularFile(f)) {
                    throw new IOException(f + ": no such file");
                }
            }
            this.files = List.copyOf(files);
        }

        @Override
        public int size() {
            return files.size();
        }

        @Override
        public List<String> classNames() {
            return List.of();
        }

        @Override
        public int label(int index) {
            return -1;
        }

        @Override
        public String id(int index) {
            return files.get(index).toString();
        }

        @Override
        public Sample load(int index) throws ImageDecoder.BadImageException {
            RgbImage image = ImageDecoder.decode(files.get(index));
            return new Sample(image, -1, id(index));
        }
    }
}
