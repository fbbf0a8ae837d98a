// Writes the golden outputs that GoldenOutputsTest (core) and GoldenSparkTest (spark) hold every way of running a
// cascade to: 8 canvases as an ImageFolder, and what the library answers for each with a cascade rebuilt from fixed
// seeds and stored thresholds. Regenerate only when an answer is meant to change, and say why in the commit. Run from
// the project root after a build:
//   java -Dai.djl.offline=true -cp "core/target/anchornet.jar:core/target/lib/*" scripts/GoldenOutputs.java \
//     core/src/test/resources/golden
// The committed file was written by the code of a44da74, before issue 23's refactors of the batch and read-out paths;
// the code after them (7b0dd6b) writes the same file byte for byte.
import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.stream.Stream;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadeNetwork;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.Prediction;
import org.anchornet.engine.PredictionReport;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.model.Architectures;
import org.anchornet.model.StateDictMapper;
import org.anchornet.torchio.TorchWriter;

public class GoldenOutputs {
    static final int SIDE = 128;
    static final int TOPK = 3;
    static final int IMAGES = 8;

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        Path images = out.resolve("images");
        new ClutteredFashionMnist(FashionMnist.read(Path.of("core/src/test/resources/fashion-mnist-sample")),
                ClutteredFashionMnist.Split.TEST, IMAGES, new ClutteredFashionMnist.Config(SIDE, 3, 2, 12, 4, 7))
                .export(images);
        List<Path> files;
        try (Stream<Path> walk = Files.walk(images)) {
            files = walk.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        Path tmp = Files.createTempDirectory("golden");
        EnumMap<CascadeNetwork, Path> weights = new EnumMap<>(CascadeNetwork.class);
        long seed = 1;
        try (NDManager m = NDManager.newBaseManager()) {
            for (CascadeNetwork n : CascadeNetwork.values()) {
                String arch = n == CascadeNetwork.ANCHORNET ? "anchornet" : "resnet18";
                Path file = tmp.resolve(n.key() + ".pth");
                TorchWriter.write(file, StateDictMapper.stateDict(Architectures.get(arch).create(m, 10, seed++), 0));
                weights.put(n, file);
            }
        }
        CascadeConfig untuned = CascadeConfig.builder().arch("resnet18").classes(FashionMnist.CLASSES)
                .inputSize(SIDE).topK(TOPK).build();
        // thresholds between the 4th and 5th confidence of each stage, rounded: images leave at every stage
        List<Double> thresholds = new ArrayList<>();
        try (Cascade c = Cascade.fromCheckpoints(untuned, weights.get(CascadeNetwork.ANCHORNET),
                weights.get(CascadeNetwork.GLANCE), weights.get(CascadeNetwork.PATCH));
                NDManager m = NDManager.newBaseManager()) {
            List<Prediction> every = new ArrayList<>();
            for (Path f : files) {
                every.addAll(c.trace(m.create(c.preprocess(org.anchornet.data.ImageDecoder.decode(f)),
                        new ai.djl.ndarray.types.Shape(1, 3, SIDE, SIDE))));
            }
            for (int stage = 0; stage < TOPK; stage++) {
                int j = stage;
                double[] conf = every.stream().mapToDouble(p -> p.stages().get(j).confidence()).sorted().toArray();
                thresholds.add(Math.round((conf[3] + conf[4]) / 2 * 1e4) / 1e4);
            }
            thresholds.add(null);
        }
        Path pkg = tmp.resolve("cascade");
        CascadePackage.write(pkg, untuned.withThresholds(ExitThresholds.fromStored(thresholds, null), null), weights);
        var gson = new GsonBuilder().setPrettyPrinting().create();
        JsonObject golden = new JsonObject();
        JsonObject spec = new JsonObject();
        spec.addProperty("arch", "resnet18");
        spec.addProperty("input_size", SIDE);
        spec.addProperty("topk", TOPK);
        spec.add("seeds", gson.toJsonTree(List.of(1, 2, 3)));
        spec.add("thresholds", gson.toJsonTree(thresholds));
        golden.add("cascade", spec);
        JsonArray predictions = new JsonArray();
        try (Cascade c = Cascade.load(pkg)) {
            for (Path f : files) {
                String name = images.relativize(f).toString().replace('\\', '/');
                predictions.add(gson.toJsonTree(PredictionReport.of(name, c.classify(f), c.config())));
            }
        }
        golden.add("predictions", predictions);
        Files.writeString(out.resolve("predictions.json"), gson.toJson(golden) + "\n", StandardCharsets.UTF_8);
        System.out.println("wrote " + files.size() + " images and " + out.resolve("predictions.json"));
    }
}
