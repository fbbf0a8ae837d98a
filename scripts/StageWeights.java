import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.ImageBatch;
import org.anchornet.engine.Cascade;
import org.anchornet.exits.ExitTable;
import org.anchornet.exits.Outcome;
import org.anchornet.exits.StageCosts;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.localize.Glance;
import org.anchornet.localize.PatchCropper;
import org.anchornet.localize.Proposals;
import org.anchornet.model.Architectures;
import org.anchornet.model.TorchModule;

/**
 * Would a per-stage weighting of the glance's and the windows' logits help (issue 22's optional item)? A measurement
 * before building it into the cascade: for one finished demo run, the glance's and the patch network's logits on the
 * validation and test canvases (AnchorNet's windows, as the engine crops them), then for each stage j ≥ 2 the pair
 * (a_j, b_j) of z_j = a_j·glance + b_j·(patch logits of windows 1..j−1) with the least validation cross-entropy (grid),
 * and the stage accuracies and the cross-validated early exit under the run's budget, unweighted (a = b = 1, which
 * must reproduce the run's own tables) and weighted. Fit on validation only; test is scored once.
 *
 * <pre>
 * java -cp "core/target/anchornet.jar:core/target/lib/*" scripts/StageWeights.java /work/exp/paper/seed-1 \
 *     [/usr/share/datasets/fashion-mnist]
 * </pre>
 */
public class StageWeights {
    static final int CLASSES = 10;
    static final double[] GRID = java.util.stream.IntStream.rangeClosed(0, 40).mapToDouble(i -> i * 0.05).toArray();

    /** Logits of one split: glance N×C and patches N×k×C, with labels. */
    record Logits(float[][] glance, float[][][] patches, int[] labels) {}

    public static void main(String[] args) throws Exception {
        Path run = Path.of(args[0]);
        Path fashionDir = Path.of(args.length > 1 ? args[1] : "/usr/share/datasets/fashion-mnist");
        JsonObject settings = JsonParser.parseString(Files.readString(run.resolve("demo-settings.json")))
                .getAsJsonObject();
        JsonObject summary = JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
        double budget = summary.get("budget_gmacs").getAsDouble() * 1e9;
        ExitTable valTable = ExitTable.read(run.resolve("tables/anchornet_val.pth"));
        ExitTable testTable = ExitTable.read(run.resolve("tables/anchornet_test.pth"));
        StageCosts costs = new StageCosts(valTable.metadata().stageCosts().orElseThrow());
        int topK = settings.get("topk").getAsInt();
        FashionMnist fashion = FashionMnist.read(fashionDir);
        Logits val;
        Logits test;
        try (Cascade cascade = Cascade.load(run.resolve("cascade"));
                NDManager manager = NDManager.newBaseManager()) {
            TorchModule glance = Architectures.get(settings.get("arch").getAsString()).loadForInference(manager,
                    CLASSES, run.resolve("cascade/glance.pth"));
            TorchModule patch = Architectures.get(settings.get("arch").getAsString()).loadForInference(manager,
                    CLASSES, run.resolve("cascade/patch.pth"));
            val = logits(cascade, glance, patch, canvases(fashion, settings, ClutteredFashionMnist.Split.VAL,
                    settings.get("valSize").getAsInt(), settings.get("seed").getAsLong()), topK, manager);
            test = logits(cascade, glance, patch, canvases(fashion, settings, ClutteredFashionMnist.Split.TEST,
                    settings.get("testSize").getAsInt(), settings.get("test_seed").getAsLong()), topK, manager);
        }
        int stages = topK + 1;
        double[] a = new double[stages];
        double[] b = new double[stages];
        a[0] = 1;
        for (int j = 1; j < stages; j++) {
            double best = Double.POSITIVE_INFINITY;
            for (double x : GRID) {
                for (double y : GRID) {
                    double nll = nll(val, j, x, y);
                    if (nll < best) {
                        best = nll;
                        a[j] = x;
                        b[j] = y;
                    }
                }
            }
        }
        double[] ones = new double[stages];
        java.util.Arrays.fill(ones, 1);
        ExitTable valPlain = table(val, ones, ones);
        ExitTable testPlain = table(test, ones, ones);
        for (int j = 0; j < stages; j++) { // the recomputed logits must give the run's own stage accuracies
            System.out.printf(Locale.ROOT, "stage %d: run's tables val %.2f%% test %.2f%%, recomputed val %.2f%% test"
                    + " %.2f%%%n", j + 1, 100 * valTable.stageAccuracy(j), 100 * testTable.stageAccuracy(j),
                    100 * valPlain.stageAccuracy(j), 100 * testPlain.stageAccuracy(j));
        }
        ExitTable valWeighted = table(val, a, b);
        ExitTable testWeighted = table(test, a, b);
        System.out.println("\n| stage | a (glance) | b (windows) | val plain | val weighted | test plain | test weighted |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (int j = 0; j < stages; j++) {
            System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %.2f%% | %.2f%% | %.2f%% | %.2f%% |%n", j + 1, a[j],
                    b[j], 100 * valPlain.stageAccuracy(j), 100 * valWeighted.stageAccuracy(j),
                    100 * testPlain.stageAccuracy(j), 100 * testWeighted.stageAccuracy(j));
        }
        System.out.printf(Locale.ROOT, "%nearly exit, cross-validated fit under %.3f G:%n", budget / 1e9);
        for (String name : List.of("plain", "weighted")) {
            ExitTable v = name.equals("plain") ? valPlain : valWeighted;
            ExitTable t = name.equals("plain") ? testPlain : testWeighted;
            ThresholdFitter.Result fit = new ThresholdFitter(v, costs).fit(budget);
            Outcome onTest = fit.policy().scoreOn(t, costs);
            System.out.printf(Locale.ROOT, "  %-8s chose %-12s val %.2f%% at %.3f G, test %.2f%% at %.3f G%n", name,
                    fit.chosen().key(), 100 * fit.policy().validation().accuracy(),
                    fit.policy().validation().meanGigaMultiplyAdds(), 100 * onTest.accuracy(),
                    onTest.meanGigaMultiplyAdds());
        }
    }

    static ClutteredFashionMnist canvases(FashionMnist fashion, JsonObject s, ClutteredFashionMnist.Split split,
            int count, long seed) {
        ClutteredFashionMnist.Config base = ClutteredFashionMnist.Config.defaults(seed);
        return new ClutteredFashionMnist(fashion, split, count, new ClutteredFashionMnist.Config(
                s.get("canvas").getAsInt(), base.scale(), base.distractors(), base.fragment(), base.noise(), seed));
    }

    static Logits logits(Cascade cascade, TorchModule glance, TorchModule patch, ClutteredFashionMnist data, int topK,
            NDManager parent) throws Exception {
        int n = data.size();
        float[][] g = new float[n][];
        float[][][] p = new float[n][topK][];
        int[] labels = new int[n];
        int side = cascade.config().patchSize();
        for (int from = 0; from < n; from += 32) {
            int to = Math.min(n, from + 32);
            List<float[]> images = new ArrayList<>();
            for (int i = from; i < to; i++) {
                var sample = data.load(i);
                images.add(cascade.preprocess(sample.image()));
                labels[i] = sample.label();
            }
            try (NDManager scope = parent.newSubManager()) {
                NDArray x = ImageBatch.pack(images).toNDArray(scope);
                ParameterStore store = new ParameterStore(scope, false);
                float[] gl = glance.forward(store, new NDList(Glance.resize(x, side)), false).singletonOrThrow()
                        .toFloatArray();
                Proposals found = cascade.localizer().localize(store, x);
                float[] pl = patch.forward(store, new NDList(PatchCropper.crop(x, found.windows(), 0, topK)), false)
                        .singletonOrThrow().toFloatArray();
                for (int i = from; i < to; i++) {
                    int r = i - from;
                    g[i] = java.util.Arrays.copyOfRange(gl, r * CLASSES, (r + 1) * CLASSES);
                    for (int k = 0; k < topK; k++) {
                        p[i][k] = java.util.Arrays.copyOfRange(pl, (r * topK + k) * CLASSES,
                                (r * topK + k + 1) * CLASSES);
                    }
                }
            }
            System.err.printf("\r%d/%d canvases", to, n);
        }
        System.err.println();
        return new Logits(g, p, labels);
    }

    /** Stage j's logits (0-based; stage 0 is the glance) for image i under weights (a, b). */
    static double[] stage(Logits l, int i, int j, double a, double b) {
        double[] z = new double[CLASSES];
        for (int c = 0; c < CLASSES; c++) {
            double sum = 0;
            for (int k = 0; k < j; k++) {
                sum += l.patches()[i][k][c];
            }
            z[c] = a * l.glance()[i][c] + b * sum;
        }
        return z;
    }

    static double[] softmax(double[] z) {
        double max = java.util.Arrays.stream(z).max().orElseThrow();
        double[] e = java.util.Arrays.stream(z).map(v -> Math.exp(v - max)).toArray();
        double s = java.util.Arrays.stream(e).sum();
        return java.util.Arrays.stream(e).map(v -> v / s).toArray();
    }

    static double nll(Logits l, int j, double a, double b) {
        double total = 0;
        for (int i = 0; i < l.labels().length; i++) {
            total -= Math.log(Math.max(1e-12, softmax(stage(l, i, j, a, b))[l.labels()[i]]));
        }
        return total / l.labels().length;
    }

    static ExitTable table(Logits l, double[] a, double[] b) {
        int n = l.labels().length;
        int stages = a.length;
        float[][] confidence = new float[stages][n]; // stage-major, as ExitTable keeps them
        boolean[][] correct = new boolean[stages][n];
        int[][] predicted = new int[stages][n];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = l.labels()[i];
            for (int j = 0; j < stages; j++) {
                double[] p = softmax(stage(l, i, j, a[j], b[j]));
                int top = 0;
                for (int c = 1; c < CLASSES; c++) {
                    if (p[c] > p[top]) {
                        top = c;
                    }
                }
                confidence[j][i] = (float) p[top];
                predicted[j][i] = top;
                correct[j][i] = top == l.labels()[i];
            }
        }
        return new ExitTable(confidence, correct, predicted, labels, ExitTable.Metadata.of("stage-weights"));
    }
}
