package org.anchornet.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.anchornet.dynamic.EarlyExitEngine;
import org.anchornet.dynamic.ExitTable;
import org.anchornet.dynamic.StageCosts;
import org.anchornet.dynamic.ThresholdSearch;
import org.anchornet.localize.Localizer;
import org.anchornet.localize.PatchProposer;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;
import picocli.CommandLine.Option;

/** The trained networks and thresholds an early-exit engine is built from; shared by classify and predict. */
final class EngineOptions {
    @Option(names = "--arch", defaultValue = "densenet201", description = "Downstream architecture (default"
            + " ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--pretrained-anchornet", required = true, description = "AnchorNet weights.")
    Path anchorNet;

    @Option(names = "--resized-pretrained", required = true, description = "Glance network weights.")
    Path resized;

    @Option(names = "--patch-pretrained", required = true, description = "Patch network weights.")
    Path patch;

    @Option(names = "--thresholds", arity = "1..*", description = "One threshold per stage (glance + top-k).")
    List<Double> thresholds;

    @Option(names = "--table-file", description = "Fit thresholds on this (validation) exit table instead...")
    Path table;

    @Option(names = "--budget", description = "...under this many G multiply-adds per image.")
    Double budget;

    @Option(names = "--topk", defaultValue = "4", description = "Patches per image at most (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--iou", defaultValue = "0.3", description = "IoU threshold between patches (default"
            + " ${DEFAULT-VALUE}).")
    double iou;

    @Option(names = "--input-size", defaultValue = "224", description = "Image side (default ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--num-classes", description = "Classes (default: from the labels).")
    Integer numClasses;

    @Option(names = "--labels", description = "Class names, one per line (default: ImageNet's 1000, or the data's"
            + " classes).")
    Path labels;

    /** The engine's parts, created in {@code manager}. */
    record Parts(EarlyExitEngine engine, Localizer localizer, List<String> classes) {}

    Parts build(NDManager manager, List<String> dataClasses) throws IOException {
        List<String> classes = labels != null ? Files.readAllLines(labels).stream().filter(l -> !l.isBlank()).toList()
                : dataClasses != null ? dataClasses : imagenetClasses();
        int n = numClasses != null ? numClasses : classes.size();
        AnchorNet anchor = (AnchorNet) Architectures.get("anchornet").loadForInference(manager, n, anchorNet);
        TorchModule glance = Architectures.get(arch).loadForInference(manager, n, resized);
        TorchModule patchNet = Architectures.get(arch).loadForInference(manager, n, patch);
        PatchProposer proposer = new PatchProposer(anchor.receptiveField(), inputSize, topK,
                Collections.nCopies(topK - 1, iou));
        Localizer localizer = new Localizer(anchor, proposer);
        return new Parts(new EarlyExitEngine(glance, patchNet, localizer, thresholds()), localizer, classes);
    }

    double[] thresholds() throws IOException {
        if (thresholds != null) {
            return thresholds.stream().mapToDouble(Double::doubleValue).toArray();
        }
        if (table == null || budget == null) {
            throw new IllegalArgumentException("give --thresholds, or --table-file with --budget to fit them");
        }
        ExitTable t = ExitTable.read(table);
        if (t.stages() != topK + 1) {
            throw new IllegalArgumentException("the table has " + t.stages() + " stages but --topk " + topK + " needs "
                    + (topK + 1));
        }
        StageCosts costs = t.metadata().stageCosts().map(StageCosts::new)
                .orElseGet(() -> StageCosts.counted(t.stages(), arch, 95, inputSize, 1000));
        return new ThresholdSearch(t, costs).search(budget * 1e9).thresholds();
    }

    static List<String> imagenetClasses() throws IOException {
        try (InputStream in = EngineOptions.class.getResourceAsStream("/org/anchornet/imagenet_classes.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
