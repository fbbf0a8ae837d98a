package org.anchornet.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.GsonBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.RgbImage;
import org.anchornet.data.Transforms;
import org.anchornet.dynamic.EarlyExitEngine;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchCropper;
import org.anchornet.model.Architectures;
import org.anchornet.model.ReceptiveField.Window;
import org.anchornet.model.TorchModule;
import org.anchornet.report.Charts;
import org.anchornet.report.Figures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code anchornet predict}: what the hosted demo of the method shows, for local images. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Predict image files with early exit and print JSON: top-10 classes and probabilities, the"
                + " prediction after each stage, the exit stage, and every proposed window with its own prediction."
                + " With --figures DIR also draw the predictions figure, the CAM and a top-10 bar chart per image.")
final class PredictCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin EngineOptions engine;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image files.")
    List<Path> images;

    @Option(names = "--figures", description = "Folder for <image>_predictions.png, _cam.png and _top10.png/svg.")
    Path figures;

    @Override
    public Integer call() throws Exception {
        List<Map<String, Object>> results = new ArrayList<>();
        int size = engine.inputSize;
        try (NDManager manager = NDManager.newBaseManager()) {
            EngineOptions.Parts parts = engine.build(manager, null);
            TorchModule patchNet = Architectures.get(engine.arch).loadForInference(manager, parts.classes().size(), engine.patch);
            for (Path file : images) {
                RgbImage image = Transforms.resizeAndCenterCrop(ImageDecoder.decode(file),
                        Transforms.evaluationResize(size), size);
                try (NDManager scope = manager.newSubManager()) {
                    NDArray x = scope.create(Transforms.toNormalizedChw(image), new Shape(1, 3, size, size));
                    EarlyExitEngine.Decision d = parts.engine().classify(x).get(0);
                    Localizer.Result found = parts.localizer().localize(new ParameterStore(scope, false), x);
                    List<Window> windows = found.windows().get(0);
                    NDArray crops = PatchCropper.crop(x, found.windows(), 0, windows.size());
                    NDArray probs = patchNet.forward(new ParameterStore(scope, false), new NDList(crops), false)
                            .singletonOrThrow().softmax(1);
                    float[] p = probs.toFloatArray();
                    int classes = parts.classes().size();
                    List<Map<String, Object>> windowRows = new ArrayList<>();
                    List<String> windowLabels = new ArrayList<>();
                    for (int w = 0; w < windows.size(); w++) {
                        final int offset = w * classes;
                        int best = IntStream.range(0, classes).boxed()
                                .max(Comparator.comparingDouble(c -> p[offset + c])).orElseThrow();
                        Window win = windows.get(w);
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("box", List.of(win.top(), win.left(), win.bottomInclusive(), win.rightInclusive()));
                        row.put("class", parts.classes().get(best));
                        row.put("probability", p[offset + best]);
                        row.put("used", w < d.exitStage() - 1);
                        windowRows.add(row);
                        windowLabels.add(parts.classes().get(best));
                    }
                    List<Integer> top = IntStream.range(0, classes).boxed()
                            .sorted(Comparator.comparingDouble((Integer c) -> -d.probabilities()[c])).limit(10).toList();
                    Map<String, Object> result = new LinkedHashMap<>();
                    result.put("image", file.toString());
                    result.put("class", parts.classes().get(d.predicted()));
                    result.put("confidence", d.confidence());
                    result.put("exit_stage", d.exitStage());
                    result.put("top10", top.stream().map(c -> Map.of("class", parts.classes().get(c), "probability",
                            d.probabilities()[c])).toList());
                    result.put("stage_predictions", java.util.Arrays.stream(d.stagePredictions())
                            .mapToObj(c -> parts.classes().get(c)).toList());
                    result.put("windows", windowRows);
                    results.add(result);
                    if (figures != null) {
                        drawFigures(file, image, windows, windowLabels, d, found.cams().get(0), parts, top);
                    }
                }
            }
        }
        spec.commandLine().getOut().println(new GsonBuilder().setPrettyPrinting().create().toJson(results));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private void drawFigures(Path file, RgbImage image, List<Window> windows, List<String> windowLabels,
            EarlyExitEngine.Decision d, float[] cam, EngineOptions.Parts parts, List<Integer> top) throws Exception {
        Files.createDirectories(figures);
        String base = file.getFileName().toString().replaceAll("\\.[^.]+$", "");
        List<String> lines = new ArrayList<>();
        for (int w = 0; w < windowLabels.size(); w++) {
            lines.add("window " + (w + 1) + ": " + windowLabels.get(w));
        }
        lines.add("aggregated (exit after stage " + d.exitStage() + "): " + parts.classes().get(d.predicted()));
        Figures.Annotated annotated = new Figures.Annotated(image, windows, lines, "", true);
        Figures.savePng(Figures.windowsGrid(List.of(annotated), 1), figures.resolve(base + "_predictions.png"));
        var proposer = parts.localizer().proposer();
        Figures.savePng(Figures.camGrid(List.of(image), List.of(cam), proposer.featureSide(), 8, proposer.patchSize(), 1),
                figures.resolve(base + "_cam.png"));
        Charts.save(Figures.bars("Top-10 classes", "probability", top.stream().map(c -> parts.classes().get(c)).toList(),
                top.stream().mapToDouble(c -> d.probabilities()[c]).toArray()), figures, base + "_top10", 800, 420);
    }
}
