package org.anchornet.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import org.anchornet.model.Architectures;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.data.Transforms;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadeNetwork;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.ThresholdFitting;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.ThresholdSearch;
import picocli.CommandLine.Option;

/**
 * Which cascade a command runs: a package ({@code --cascade}), which carries everything, or separate checkpoints with
 * the flags that say how to run them (the reference's workflow). With a package, a flag that says something else than
 * the package is refused rather than silently used, and the checkpoint flags cannot be given.
 */
final class CascadeOptions {
    @Option(names = "--cascade", paramLabel = "PACKAGE", description = "A cascade package (a folder with cascade.json,"
            + " or a .zip of one, e.g. runs/demo/cascade): networks, classes, preprocessing, windows and thresholds"
            + " all come from it.")
    Path cascade;

    @Option(names = "--arch", description = "Downstream architecture (default densenet201).",
            completionCandidates = FlopsCommand.ArchNames.class)
    String arch;

    @Option(names = "--pretrained-anchornet", description = "AnchorNet weights.")
    Path anchorNet;

    @Option(names = {"--glance-pretrained", "--resized-pretrained"}, description = "Glance network weights: the"
            + " network fine-tuned on whole images resized to the patch size (--resized-pretrained: its older name).")
    Path glance;

    @Option(names = "--patch-pretrained", description = "Patch network weights.")
    Path patch;

    @Option(names = "--thresholds", arity = "1..*", description = "One exit threshold per stage (glance + top-k);"
            + " 'none' for a stage that never exits early, 'all' for the stage where the cascade ends (every image"
            + " still in leaves).")
    List<String> thresholdValues;

    @Option(names = "--answer", converter = Converters.AnswerRule.class, description = "With --thresholds: whose"
            + " prediction answers, and whose confidence they test: exit-stage (default, the paper's) or most-confident"
            + " (the most confident stage so far). A fit chooses its own.")
    org.anchornet.exits.Answer answer;

    @Option(names = "--table-file", description = "Fit thresholds on this (validation) exit table instead...")
    Path table;

    @Option(names = "--budget", converter = Converters.PositiveDouble.class,
            description = "...under this many G multiply-adds per image.")
    Double budget;

    @Option(names = "--fit", converter = Converters.FitMethod.class, defaultValue = "cv",
            description = Converters.FIT_HELP)
    org.anchornet.exits.ThresholdFitter.Method fit;

    @Option(names = "--topk", converter = Converters.PositiveInt.class,
            description = "Windows per image; the cascade has topk + 1 stages (default 4).")
    Integer topK;

    @Option(names = "--iou", converter = Converters.Fraction.class,
            description = "IoU threshold between windows, for every window after the first (default 0.3).")
    Double iou;

    @Option(names = "--iou-thresholds", split = ",", converter = Converters.Fraction.class,
            description = "One IoU threshold per window after the first (instead of --iou).")
    List<Double> iouThresholds;

    @Option(names = "--input-size", converter = Converters.PositiveInt.class,
            description = "Side of the (cropped) image the networks see (default " + Transforms.DEFAULT_INPUT_SIZE + ").")
    Integer inputSize;

    @Option(names = "--eval-resize", converter = Converters.PositiveInt.class,
            description = "Side the shorter image side is resized to before the centre crop (default: as 256 goes"
                    + " with 224 for image folders; the input size for generated canvases, which need no resize).")
    Integer evalResize;

    @Option(names = "--num-classes", converter = Converters.PositiveInt.class,
            description = "Classes (default: the number of class names).")
    Integer numClasses;

    @Option(names = "--labels", description = "Class names, one per line (default: the data's classes, else"
            + " ImageNet's 1000).")
    Path labels;

    /** The --thresholds values, checked ('none' → null, never early), with the --answer rule. */
    ExitThresholds thresholds() {
        if (answer != null && thresholdValues == null) {
            throw new IllegalArgumentException("--answer goes with --thresholds (a fit chooses its own answer rule)");
        }
        ExitThresholds t = thresholdValues == null ? null : ExitThresholds.parse(thresholdValues);
        return t == null || answer == null ? t : t.withAnswer(answer);
    }

    /** Whether the networks come from a package. */
    boolean fromPackage() {
        return cascade != null;
    }

    /**
     * Opens the cascade.
     *
     * @param dataClasses the class names of the data the command reads, or null
     * @param generatedData whether those are generated canvases (already at the input size)
     * @param needsThresholds whether the command exits early (make-table does not)
     */
    Cascade open(List<String> dataClasses, boolean generatedData, boolean needsThresholds) throws IOException {
        if (cascade != null) {
            Cascade c = Cascade.load(cascade);
            try {
                refuseContradictions(c.config());
                // class folders are matched to the cascade's classes by position, as ImageFolder sorts them
                if (dataClasses != null && dataClasses.size() != c.config().numClasses()) {
                    throw new IllegalArgumentException("the data have " + dataClasses.size() + " classes "
                            + dataClasses + " but the cascade " + c.config().numClasses() + " (" + cascade + ")");
                }
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
            return c;
        }
        if (anchorNet == null || glance == null || patch == null) {
            throw new IllegalArgumentException("give --cascade PACKAGE, or all of --pretrained-anchornet,"
                    + " --glance-pretrained and --patch-pretrained");
        }
        CascadeConfig config = config(dataClasses, generatedData, needsThresholds);
        return Cascade.fromCheckpoints(config, anchorNet, glance, patch);
    }

    /** The configuration the separate-checkpoint flags describe. */
    CascadeConfig config(List<String> dataClasses, boolean generatedData, boolean needsThresholds)
            throws IOException {
        List<String> classes = classes(dataClasses);
        int k = topK != null ? topK : CascadeConfig.DEFAULT_TOP_K;
        int side = inputSize != null ? inputSize : Transforms.DEFAULT_INPUT_SIZE;
        CascadeConfig.Builder b = CascadeConfig.builder().arch(arch != null ? arch : Architectures.REFERENCE_DOWNSTREAM)
                .classes(classes)
                .inputSize(side).topK(k)
                .evalResize(evalResize != null ? evalResize : generatedData ? side : Transforms.evaluationResize(side))
                .iouThresholds(ious(k))
                .network(CascadeNetwork.ANCHORNET.key(), CascadePackage.provenance(anchorNet))
                .network(CascadeNetwork.GLANCE.key(), CascadePackage.provenance(glance))
                .network(CascadeNetwork.PATCH.key(), CascadePackage.provenance(patch));
        CascadeConfig config = b.build();
        ExitThresholds thresholds = thresholds();
        if (thresholds != null) {
            if (table != null || budget != null) {
                throw new IllegalArgumentException("give --thresholds or --table-file with --budget, not both");
            }
            if (thresholds.stages() != k + 1) {
                throw new IllegalArgumentException("--thresholds needs " + (k + 1) + " values (the glance and " + k
                        + " windows), got " + thresholds.stages());
            }
            return config.withThresholds(thresholds, new CascadeConfig.ThresholdFit("given", null, null, null, 0,
                    null, null));
        }
        if (table != null || budget != null) {
            if (table == null || budget == null) {
                throw new IllegalArgumentException("--table-file and --budget go together");
            }
            return fit(config);
        }
        if (needsThresholds) {
            throw new IllegalArgumentException("give --thresholds, or --table-file with --budget to fit them");
        }
        return config;
    }

    /** The IoU threshold of every window after the first, from --iou or --iou-thresholds. */
    List<Double> ious(int k) {
        if (iou != null && iouThresholds != null) {
            throw new IllegalArgumentException("give --iou or --iou-thresholds, not both");
        }
        if (iouThresholds != null) {
            if (iouThresholds.size() != k - 1) {
                throw new IllegalArgumentException("--iou-thresholds needs " + (k - 1) + " values (one per window"
                        + " after the first, --topk " + k + "), got " + iouThresholds.size());
            }
            return iouThresholds;
        }
        return new ArrayList<>(Collections.nCopies(k - 1, iou != null ? iou : CascadeConfig.DEFAULT_IOU));
    }

    private CascadeConfig fit(CascadeConfig config) throws IOException {
        ExitTable t = ExitTable.read(table);
        ThresholdSearch.Policy policy = ThresholdFitting.fit(config, t, budget * 1e9, fit);
        return config.withThresholds(ThresholdFitting.stored(policy),
                ThresholdFitting.describe(policy, budget * 1e9, table.getFileName().toString(), "all rows", t));
    }

    private List<String> classes(List<String> dataClasses) throws IOException {
        List<String> names = labels != null ? org.anchornet.io.TextFiles.readLines(labels, "--labels file").stream().map(String::strip)
                .filter(l -> !l.isEmpty()).toList() : dataClasses != null ? dataClasses : imagenetClasses();
        if (numClasses != null && numClasses != names.size()) {
            if (labels != null || dataClasses != null) {
                throw new IllegalArgumentException("--num-classes " + numClasses + " but "
                        + (labels != null ? labels + " lists " : "the data have ") + names.size() + " classes");
            }
            List<String> numbered = new ArrayList<>();
            for (int i = 0; i < numClasses; i++) {
                numbered.add(Integer.toString(i));
            }
            return numbered;
        }
        return names;
    }

    private void refuseContradictions(CascadeConfig c) {
        for (Object[] flag : new Object[][] {{"--pretrained-anchornet", anchorNet}, {"--glance-pretrained", glance},
            {"--patch-pretrained", patch}, {"--table-file", table}, {"--budget", budget}, {"--labels", labels}}) {
            if (flag[1] != null) {
                throw new IllegalArgumentException(flag[0] + " cannot be used with --cascade: the package " + cascade
                        + " already holds its networks, classes and thresholds (fit new thresholds with"
                        + " 'anchornet fit-thresholds')");
            }
        }
        contradiction("--arch", arch, c.arch(), "arch");
        contradiction("--topk", topK, c.topK(), "topk");
        contradiction("--input-size", inputSize, c.inputSize(), "input_size");
        contradiction("--eval-resize", evalResize, c.evalResize(), "eval_resize");
        contradiction("--num-classes", numClasses, c.numClasses(), "num_classes");
        if (iou != null && c.iouThresholds().stream().anyMatch(v -> v.doubleValue() != iou)) {
            throw contradicts("--iou " + iou, "iou_thresholds " + c.iouThresholds());
        }
        contradiction("--iou-thresholds", iouThresholds, c.iouThresholds(), "iou_thresholds");
        // compared as the exit rule uses them: the last stage takes every image still in whatever it was given
        ExitThresholds thresholds = thresholds();
        if (thresholds != null && answer == null) { // only --thresholds: compare them under the package's answer rule
            thresholds = thresholds.withAnswer(c.exitThresholds().answer());
        }
        if (thresholds != null && !thresholds.equals(c.exitThresholds())) {
            throw contradicts("--thresholds " + thresholds + " --answer " + thresholds.answer().key(), "thresholds "
                    + c.exitThresholds() + " answering by " + c.exitThresholds().answer().key());
        }
    }

    private void contradiction(String flag, Object given, Object packaged, String field) {
        if (given != null && !Objects.equals(given, packaged)) {
            throw contradicts(flag + " " + given, field + " " + packaged);
        }
    }

    private IllegalArgumentException contradicts(String flag, String field) {
        return new IllegalArgumentException(flag + " contradicts the cascade's " + field + " (" + cascade
                + "): the package was fit for its own settings; leave the flag out");
    }

    static List<String> imagenetClasses() throws IOException {
        try (InputStream in = CascadeOptions.class.getResourceAsStream("/org/anchornet/imagenet_classes.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
