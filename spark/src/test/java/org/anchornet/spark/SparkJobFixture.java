package org.anchornet.spark;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.ImageFolder;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadeNetwork;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.Prediction;
import org.anchornet.model.Architectures;
import org.anchornet.model.StateDictMapper;
import org.anchornet.torchio.TorchWriter;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.stream.Stream;
import picocli.CommandLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A small random-weight cascade, an ImageFolder of canvases, and running the job's command in-process. */
final class SparkJobFixture {
    private SparkJobFixture() {}

    static Path cascade(Path dir) throws Exception {
        return cascade(dir, 1);
    }

    /** A package whose three networks are initialized with seeds {@code firstSeed} and the next two. */
    static Path cascade(Path dir, int firstSeed) throws Exception {
        EnumMap<CascadeNetwork, Path> files = new EnumMap<>(CascadeNetwork.class);
        try (NDManager m = NDManager.newBaseManager()) {
            int seed = firstSeed;
            for (CascadeNetwork n : CascadeNetwork.values()) {
                String arch = n == CascadeNetwork.ANCHORNET ? "anchornet" : "resnet18";
                Path file = dir.resolve(n.key() + ".ckpt.pth");
                TorchWriter.write(file, StateDictMapper.stateDict(Architectures.get(arch).create(m, 10, seed++), 0));
                files.put(n, file);
            }
        }
        Path pkg = dir.resolve("cascade");
        CascadePackage.write(pkg, CascadeConfig.builder().arch("resnet18").classes(FashionMnist.CLASSES)
                .inputSize(128).topK(3).thresholds(ExitThresholds.fromStored(Arrays.asList(0.9, 0.9, null, null), null)).build(), files);
        return pkg;
    }

    /** Canvases of 128 px as an ImageFolder tree under {@code dir/images}. */
    static Path images(Path dir, int n) throws Exception {
        Path root = dir.resolve("images");
        new ClutteredFashionMnist(FashionMnist.read(Path.of("../core/src/test/resources/fashion-mnist-sample")),
                ClutteredFashionMnist.Split.TEST, n, new ClutteredFashionMnist.Config(128, 3, 2, 12, 4, 3))
                .export(root);
        return root;
    }

    /** The single-machine answers, by file path, for the images that decode (damaged ones have none). */
    static Map<String, Prediction> direct(Path pkg, Path root) throws Exception {
        Map<String, Prediction> out = new HashMap<>();
        ImageFolder folder = new ImageFolder(root);
        try (Cascade c = Cascade.load(pkg)) {
            for (int i = 0; i < folder.size(); i++) {
                Path file = root.resolve(folder.id(i));
                try {
                    out.put(file.toAbsolutePath().toString(), c.classify(file));
                } catch (ImageDecoder.BadImageException damaged) {
                    // the job lists it with its error; there is no answer to compare
                }
            }
        }
        return out;
    }

    record Run(int code, String out, String err) {}

    static Run run(List<String> args) {
        CommandLine cli = SparkClassify.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args.toArray(String[]::new));
        return new Run(code, out.toString(), err.toString());
    }

    static List<String> args(Path pkg, Path input, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("--cascade", pkg.toString(), "--input", input.toString(), "--out",
                out.toString(), "--batch-size", "4"));
        a.addAll(List.of(extra));
        return a;
    }

    /** A file in the tree that is no image, as a damaged upload would be. */
    static Path damaged(Path root) throws Exception {
        Path dir;
        try (var list = Files.list(root)) {
            dir = list.filter(Files::isDirectory).sorted().findFirst().orElseThrow();
        }
        return Files.writeString(dir.resolve("broken.png"), "not a png at all");
    }

    /** JSON-lines output, one object per line, by local path. */
    static Map<String, JsonObject> jsonRows(Path out) throws Exception {
        Map<String, JsonObject> rows = new HashMap<>();
        List<String> all = new ArrayList<>();
        try (Stream<Path> parts = Files.list(out)) {
            for (Path part : parts.filter(p -> p.getFileName().toString().startsWith("part-")).toList()) {
                all.addAll(Files.readAllLines(part));
            }
        }
        for (String line : all) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            String path = java.net.URI.create(o.get("path").getAsString()).getPath();
            assertNull(rows.put(path, o), "each image exactly once: " + path);
        }
        return rows;
    }

    static void assertSameAs(Map<String, Prediction> direct, Map<String, JsonObject> rows) {
        for (Map.Entry<String, Prediction> e : direct.entrySet()) {
            JsonObject row = rows.get(e.getKey());
            assertNotNull(row, "a row for " + e.getKey());
            Prediction p = e.getValue();
            assertEquals(p.predicted(), row.get("class_index").getAsInt(), e.getKey());
            assertEquals(p.exitStage(), row.get("exit_stage").getAsInt(), e.getKey());
            assertEquals(p.confidence(), row.get("confidence").getAsFloat(), 1e-5, e.getKey());
            assertEquals(p.multiplyAdds(), row.get("multiply_adds").getAsLong());
            assertEquals(p.exitStage(), row.getAsJsonArray("stage_predictions").size());
            String folder = Path.of(e.getKey()).getParent().getFileName().toString();
            assertEquals(folder, row.get("label_name").getAsString());
            assertEquals(Integer.parseInt(folder.split("_")[0]), row.get("label").getAsInt());
        }
    }

}
