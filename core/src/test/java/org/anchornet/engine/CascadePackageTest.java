package org.anchornet.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitThresholds;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.data.RgbImage;
import org.anchornet.io.AtomicFiles;
import org.anchornet.io.AtomicFilesAccess;
import org.anchornet.model.Architectures;
import org.anchornet.model.StateDictMapper;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cascade package: round trips through a folder and a zip, and a clear error for each way it can be wrong. */
class CascadePackageTest {
    @TempDir static Path tmp;
    private static CascadeConfig config;
    private static Map<CascadeNetwork, Path> checkpoints;
    private static List<RgbImage> images;

    @BeforeAll
    static void networks() throws Exception {
        checkpoints = new EnumMap<>(CascadeNetwork.class);
        try (NDManager m = NDManager.newBaseManager()) {
            checkpoints.put(CascadeNetwork.ANCHORNET, save(m, "anchornet", 1));
            checkpoints.put(CascadeNetwork.GLANCE, save(m, "resnet18", 2));
            checkpoints.put(CascadeNetwork.PATCH, save(m, "resnet18", 3));
        }
        config = CascadeConfig.builder().arch("resnet18").classes(FashionMnist.CLASSES).inputSize(128).topK(3)
                .thresholds(ExitThresholds.fromStored(Arrays.asList(0.3, null, 0.2, null), null)).build();
        ClutteredFashionMnist canvases = new ClutteredFashionMnist(
                FashionMnist.read(Path.of("src/test/resources/fashion-mnist-sample")), ClutteredFashionMnist.Split.TEST,
                6, new ClutteredFashionMnist.Config(128, 3, 2, 12, 4, 1));
        images = java.util.stream.IntStream.range(0, 6).mapToObj(i -> canvases.load(i).image()).toList();
    }

    private static Path save(NDManager m, String arch, long seed) throws IOException {
        Path file = tmp.resolve(arch + "-" + seed + ".pth");
        // wrapped as a training checkpoint, as train-downnet writes them; the package holds the plain state dict
        TorchWriter.write(file, Map.of("state_dict", StateDictMapper.stateDict(Architectures.get(arch)
                .create(m, 10, seed), 0), "epoch", 1L));
        return file;
    }

    /** Writes the test cascade with these thresholds and returns its cascade.json. */
    private static String writtenWith(Path folder, ExitThresholds t) throws IOException {
        CascadePackage.write(folder, config.withThresholds(t, null), checkpoints);
        return Files.readString(folder.resolve("cascade.json"));
    }

    private static List<Prediction> classify(Cascade c) {
        return c.classify(images);
    }

    @Test
    void aShortenedCascadeRoundTripsAndTheEngineExitsWhereTheSimulationDoes() throws Exception {
        // every stage's confidence, then a glance threshold at their median and the cascade ending at stage 2
        List<Prediction> traced;
        try (Cascade c = Cascade.fromCheckpoints(config, checkpoints.get(CascadeNetwork.ANCHORNET),
                checkpoints.get(CascadeNetwork.GLANCE), checkpoints.get(CascadeNetwork.PATCH));
                ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            float[] all = new float[images.size() * 3 * 128 * 128];
            for (int i = 0; i < images.size(); i++) {
                System.arraycopy(c.preprocess(images.get(i)), 0, all, i * 3 * 128 * 128, 3 * 128 * 128);
            }
            traced = c.engine().run(m.create(all, new ai.djl.ndarray.types.Shape(images.size(), 3, 128, 128)),
                    ExitPolicy.never());
        }
        double[] glance = traced.stream().mapToDouble(p -> p.stages().get(0).confidence()).sorted().toArray();
        ExitThresholds shortened = ExitThresholds.parse(List.of(Double.toString((glance[2] + glance[3]) / 2), "all",
                "0.1", "0.1"));
        Path folder = tmp.resolve("shortened");
        String json = writtenWith(folder, shortened);
        assertTrue(json.contains("\"format_version\": 2") && json.contains("\"last_stage\": 2"), json);
        try (Cascade c = Cascade.load(folder)) {
            assertEquals(shortened, c.config().exitThresholds());
            List<Prediction> answered = classify(c);
            int[] exits = new int[5];
            for (int i = 0; i < images.size(); i++) {
                final int image = i;
                int simulated = ExitRule.exitStage(j -> traced.get(image).stages().get(j).confidence(),
                        shortened.toArray());
                assertEquals(simulated + 1, answered.get(i).exitStage(), "image " + i);
                assertEquals(traced.get(i).stages().get(simulated).predicted(), answered.get(i).predicted());
                exits[answered.get(i).exitStage()]++;
            }
            assertTrue(exits[1] > 0 && exits[2] > 0 && exits[3] + exits[4] == 0, Arrays.toString(exits));
        }
        // the same cascade in format 1 (no last_stage, −1 for "everyone leaves") reads the same
        editJson(folder, "\"format_version\": 2", "\"format_version\": 1");
        String v2 = Files.readString(folder.resolve("cascade.json"));
        Files.writeString(folder.resolve("cascade.json"), v2.replaceFirst("\"last_stage\": 2,\\s*", "")
                .replaceFirst("\"thresholds\": \\[\\s*([0-9.E-]+),\\s*null", "\"thresholds\": [$1, -1.0"));
        try (Cascade c = Cascade.load(folder)) {
            assertEquals(shortened, c.config().exitThresholds(), Files.readString(folder.resolve("cascade.json")));
        }
        assertEditRefused("last-stage", "\"last_stage\": 4", "\"last_stage\": 9", "'last_stage'", "must lie in [1, 4]");
    }

    @Test
    void aMostConfidentCascadeIsFormat3AndTheEngineAnswersAsTheSimulationDoes() throws Exception {
        List<Prediction> traced;
        try (Cascade c = Cascade.fromCheckpoints(config, checkpoints.get(CascadeNetwork.ANCHORNET),
                checkpoints.get(CascadeNetwork.GLANCE), checkpoints.get(CascadeNetwork.PATCH))) {
            traced = c.trace(c.pack(images));
        }
        // every early stage lets the more confident half of the images leave, judged by the best answer so far
        double[] t = new double[4];
        for (int j = 0; j < 3; j++) {
            final int stage = j;
            double[] best = traced.stream().mapToDouble(p -> java.util.stream.IntStream.rangeClosed(0, stage)
                    .mapToDouble(s -> p.stages().get(s).confidence()).max().orElseThrow()).sorted().toArray();
            t[j] = (best[best.length / 2 - 1] + best[best.length / 2]) / 2;
        }
        ExitThresholds rule = ExitThresholds.of(t).withAnswer(org.anchornet.exits.Answer.MOST_CONFIDENT);
        Path folder = tmp.resolve("most-confident");
        String json = writtenWith(folder, rule);
        assertTrue(json.contains("\"format_version\": 3") && json.contains("\"answer\": \"most-confident\""), json);
        try (Cascade c = Cascade.load(folder)) {
            assertEquals(rule, c.config().exitThresholds());
            List<Prediction> answered = classify(c);
            for (int i = 0; i < images.size(); i++) {
                final Prediction all = traced.get(i);
                int exit = ExitRule.exitStage(j -> all.stages().get(j).confidence(), rule);
                int answer = ExitRule.answerStage(j -> all.stages().get(j).confidence(), exit, rule.answer());
                assertEquals(exit + 1, answered.get(i).exitStage(), "image " + i);
                assertEquals(all.stages().get(answer).predicted(), answered.get(i).predicted(), "image " + i);
            }
        }
        editJson(folder, "\"answer\": \"most-confident\"", "\"answer\": \"magic\"");
        CascadeFormatException e = assertThrows(CascadeFormatException.class, () -> Cascade.load(folder).close());
        assertTrue(e.getMessage().contains("'answer'") && e.getMessage().contains("most-confident"), e.getMessage());
        editJson(folder, "\"answer\": \"magic\"", "\"answer\": null");
        e = assertThrows(CascadeFormatException.class, () -> Cascade.load(folder).close());
        assertTrue(e.getMessage().contains("'answer'") && e.getMessage().contains("format 3 needs"), e.getMessage());
        // a format 2 reader would answer by the exit stage: format 2 may not carry an answer rule
        assertEditRefused("answer-in-2", "\"answer\": null", "\"answer\": \"most-confident\"", "'answer'",
                "not part of format 2");
        assertEditRefused("answer-number", "\"answer\": null", "\"answer\": 3", "'answer'", "JSON string");
    }

    @Test
    void folderAndZipRoundTripToTheSameCascade() throws Exception {
        Path folder = tmp.resolve("package");
        Path zip = tmp.resolve("package.zip");
        CascadePackage.write(folder, config, checkpoints);
        CascadePackage.write(zip, config, checkpoints);
        List<Prediction> direct;
        try (Cascade c = Cascade.fromCheckpoints(config, checkpoints.get(CascadeNetwork.ANCHORNET),
                checkpoints.get(CascadeNetwork.GLANCE), checkpoints.get(CascadeNetwork.PATCH))) {
            direct = classify(c);
        }
        for (Path p : List.of(folder, zip)) {
            try (Cascade c = Cascade.load(p)) {
                CascadeConfig read = c.config();
                assertEquals(config.withWeights(read.weights()), read, p + ": the configuration survives");
                List<Prediction> again = classify(c);
                for (int i = 0; i < images.size(); i++) {
                    assertEquals(direct.get(i).exitStage(), again.get(i).exitStage());
                    assertEquals(direct.get(i).predicted(), again.get(i).predicted());
                    assertArrayEquals(direct.get(i).probabilities(), again.get(i).probabilities(), 1e-6f);
                }
            }
        }
        // the weight files are plain state dicts in torch keys, and the JSON has the documented fields
        assertTrue(TorchReader.readDict(folder.resolve("glance.pth")).containsKey("layer1.0.conv1.weight"));
        JsonObject json = JsonParser.parseString(Files.readString(folder.resolve("cascade.json"))).getAsJsonObject();
        for (String field : List.of("format_version", "arch", "num_classes", "classes", "input_size", "eval_resize",
                "mean", "std", "patch_size", "stride", "topk", "iou_thresholds", "thresholds", "stage_costs",
                "threshold_fit", "provenance", "weights")) {
            assertTrue(json.has(field), field);
        }
        assertTrue(json.getAsJsonArray("thresholds").get(1).isJsonNull(), "null: never exits early");
        assertEquals(CascadePackage.sha256(folder.resolve("patch.pth")),
                json.getAsJsonObject("weights").getAsJsonObject("patch").get("sha256").getAsString());
        // saving a loaded cascade writes the same package again
        try (Cascade c = Cascade.load(zip)) {
            c.save(tmp.resolve("again"));
        }
        assertEquals(Files.readString(folder.resolve("cascade.json")).replaceAll("\"created\": \"[^\"]*\"", ""),
                Files.readString(tmp.resolve("again/cascade.json")).replaceAll("\"created\": \"[^\"]*\"", ""));
    }

    @Test
    void aZipUnpackedAndNeverClosedIsGoneWhenTheJvmExits() throws Exception {
        Path zip = tmp.resolve("for-child.zip");
        CascadePackage.write(zip, config, checkpoints);
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), UnclosedPackage.class.getName(), zip.toString())
                .redirectErrorStream(true).start();
        String out = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the child JVM exits");
        assertEquals(0, child.exitValue(), out);
        String[] words = out.strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
        assertEquals("true", words[1], "the child saw the unpacked weights: " + out);
        assertTrue(words[0].contains("anchornet-cascade-"), out);
        assertFalse(Files.exists(Path.of(words[0])), "unpacked folder removed at exit: " + words[0]);
    }

    /** Writes a good package, damages it, and returns the message of loading it. */
    private static String damaged(String name, Consumer<Path> damage) throws Exception {
        Path folder = tmp.resolve("bad-" + name);
        CascadePackage.write(folder, config, checkpoints);
        damage.accept(folder);
        CascadeFormatException e = assertThrows(CascadeFormatException.class, () -> Cascade.load(folder).close());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    /** A package whose cascade.json has one edit is refused with one line holding every fragment. */
    private static void assertEditRefused(String name, String from, String to, String... fragments) throws Exception {
        String m = damaged(name, f -> editJson(f, from, to));
        for (String fragment : fragments) {
            assertTrue(m.contains(fragment), m);
        }
    }

    private static void editJson(Path folder, String from, String to) {
        try {
            Path json = folder.resolve("cascade.json");
            String text = Files.readString(json);
            assertTrue(text.contains(from), from);
            Files.writeString(json, text.replace(from, to), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void everyWayAPackageCanBeWrongIsOneLineNamingTheFileOrField() throws Exception {
        String m = damaged("hash", f -> {
            try {
                byte[] b = Files.readAllBytes(f.resolve("patch.pth"));
                b[b.length / 2] ^= 1;
                Files.write(f.resolve("patch.pth"), b);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(m.contains("patch.pth") && m.contains("SHA-256"), m);
        m = damaged("missing", f -> f.resolve("glance.pth").toFile().delete());
        assertTrue(m.contains("glance.pth: missing"), m);
        assertEditRefused("version", "\"format_version\": 2", "\"format_version\": 7",
                "format_version 7 is not supported", "reads 1, 2 and 3");
        assertEditRefused("ious", "\"iou_thresholds\": [\n    0.3,\n", "\"iou_thresholds\": [\n",
                "'iou_thresholds'", "needs 2 values");
        assertEditRefused("thresholds", "\"thresholds\": [\n    0.3,\n", "\"thresholds\": [\n",
                "'thresholds'", "needs 4 entries");
        assertEditRefused("json", "\"arch\": \"resnet18\",", "\"arch\": \"resnet18\"", "not valid cascade JSON");
        assertEditRefused("unknown-arch", "\"arch\": \"resnet18\"", "\"arch\": \"vgg16\"", "'arch'", "vgg16");
        m = damaged("no-config", f -> f.resolve("cascade.json").toFile().delete());
        assertTrue(m.contains("cascade.json: missing"), m);
    }

    @Test
    void settingsOfTheWrongJsonTypeOrOutOfRangeAreRefusedNamingTheField() throws Exception {
        assertEditRefused("topk-string", "\"topk\": 3", "\"topk\": \"3\"", "'topk'", "JSON integer");
        assertEditRefused("classes-string", "\"num_classes\": 10", "\"num_classes\": \"10\"",
                "'num_classes'", "JSON integer");
        assertEditRefused("threshold-string", "\"thresholds\": [\n    0.3,", "\"thresholds\": [\n    \"0.3\",",
                "'thresholds'", "JSON number or null");
        assertEditRefused("huge-input", "\"input_size\": 128", "\"input_size\": 100000",
                "'input_size'", "2048], got 100000");
        assertEditRefused("huge-resize", "\"eval_resize\": 128", "\"eval_resize\": 100000", "'eval_resize'", "8192");
        assertEditRefused("padded", "\"topk\": 3", "\"topk\": 3" + " ".repeat(2 << 20),
                "more than the " + CascadePackage.MAX_CONFIG_BYTES);
    }

    @Test
    void numbersThatAreNotWhatTheySayAreRefusedNotTruncatedOrWrapped() throws Exception {
        assertEditRefused("last-stage-string", "\"last_stage\": 4", "\"last_stage\": \"4\"", "'last_stage'",
                "JSON integer");
        assertEditRefused("last-stage-fraction", "\"last_stage\": 4", "\"last_stage\": 3.9", "'last_stage'",
                "JSON integer");
        assertEditRefused("topk-fraction", "\"topk\": 3", "\"topk\": 3.7", "'topk'", "JSON integer");
        assertEditRefused("topk-wraps", "\"topk\": 3", "\"topk\": " + ((1L << 32) + 3), "'topk'", "within an int");
        assertEditRefused("last-stage-wraps", "\"last_stage\": 4", "\"last_stage\": " + ((1L << 32) + 4),
                "'last_stage'");
        assertEditRefused("classes-wrap", "\"num_classes\": 10", "\"num_classes\": " + ((1L << 32) + 10),
                "'num_classes'");
        assertEditRefused("input-wraps", "\"input_size\": 128", "\"input_size\": " + ((1L << 32) + 128),
                "'input_size'");
        long[] counted = config.costs().perStage();
        assertEditRefused("costs-made-up", "\"stage_costs\": [\n    " + counted[0], "\"stage_costs\": [\n    1",
                "'stage_costs'", "must be the multiply-adds counted for resnet18");
        assertEditRefused("costs-huge", "\"stage_costs\": [\n    " + counted[0], "\"stage_costs\": [\n    1e30",
                "'stage_costs'", "positive JSON integer");
        assertEditRefused("duplicate-key", "\"topk\": 3,", "\"topk\": 3,\n  \"topk\": 2,", "\"topk\" appears twice");
        assertEditRefused("nan-mean", "\"mean\": [\n    0.485", "\"mean\": [\n    NaN", "not valid cascade JSON");
        assertEditRefused("duplicate-class", "\"Trouser\"", "\"T-shirt/top\"", "'classes'", "appears twice");
        assertEditRefused("empty-class", "\"Trouser\"", "\"  \"", "'classes'", "may not be empty");
        String m = damaged("utf16", f -> {
            try {
                Path json = f.resolve("cascade.json");
                Files.write(json, Files.readString(json).getBytes(StandardCharsets.UTF_16));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(m.contains("cascade.json") && m.contains("not UTF-8"), m);
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheNetwork() throws Exception {
        Path folder = tmp.resolve("nan-weights");
        Map<CascadeNetwork, Path> poisoned = new EnumMap<>(checkpoints);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, org.anchornet.torchio.TorchTensor> sd = new java.util.LinkedHashMap<>(
                    StateDictMapper.stateDict(Architectures.get("anchornet").create(m, 10, 1), 0));
            String key = sd.keySet().stream().filter(k -> k.endsWith("weight")).findFirst().orElseThrow();
            float[] w = sd.get(key).toFloatArray();
            w[0] = Float.NaN;
            sd.put(key, org.anchornet.torchio.TorchTensor.ofFloats(w, sd.get(key).shape()));
            Path file = tmp.resolve("nan-anchornet.pth");
            TorchWriter.write(file, sd);
            poisoned.put(CascadeNetwork.ANCHORNET, file);
        }
        CascadePackage.write(folder, config, poisoned);
        CascadeFormatException e = assertThrows(CascadeFormatException.class, () -> Cascade.load(folder).close());
        assertTrue(e.getMessage().contains("anchornet network") && e.getMessage().contains("NaN"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void aPackageWriteKilledAtAnyStepLeavesALoadablePackageAndTheNextWriteCleansUp() throws Exception {
        Path target = tmp.resolve("swap/cascade");
        ExitThresholds first = ExitThresholds.fromStored(Arrays.asList(0.3, null, 0.2, null), null);
        ExitThresholds second = ExitThresholds.fromStored(Arrays.asList(0.9, 0.8, 0.7, null), null);
        CascadePackage.write(target, config.withThresholds(first, null), checkpoints);
        for (boolean exchange : List.of(true, false)) {
            List<String> steps = new java.util.ArrayList<>();
            // at each step, what a kill would leave: the target must load as the old or the new package
            AtomicFiles.Observer previous = AtomicFiles.observe((step, path) -> {
                if (path.equals(target.toAbsolutePath())) {
                    steps.add(step);
                    Path snapshot = tmp.resolve("killed-" + exchange + "-" + step);
                    org.anchornet.testing.Folders.copyTree(target.getParent(), snapshot);
                    if (step.equals("moved-aside")) {
                        // the fallback's gap: nothing at the target until the next write restores it
                        assertFalse(Files.exists(snapshot.resolve("cascade")));
                        AtomicFilesAccess.removeStale(snapshot.resolve("cascade"), true);
                    }
                    try (Cascade c = Cascade.load(snapshot.resolve("cascade"))) {
                        assertEquals(4, c.config().stages());
                    }
                }
            });
            AtomicFilesAccess.allowExchange(exchange);
            try {
                CascadePackage.write(target, config.withThresholds(exchange ? second : first, null), checkpoints);
            } finally {
                AtomicFiles.observe(previous);
                AtomicFilesAccess.allowExchange(true);
            }
            assertEquals(exchange ? List.of("temp-written", "exchanged", "moved")
                    : List.of("temp-written", "moved-aside", "moved"), steps);
        }
        // a writer killed mid-copy leaves its temporary; a later write removes it, a live writer's is kept
        Path abandoned = target.getParent().resolve(".cascade.999999999-123");
        Path live = target.getParent().resolve(".cascade." + ProcessHandle.current().pid() + "-456");
        Files.createDirectories(abandoned.resolve("x"));
        Files.createDirectories(live);
        CascadePackage.write(target, config.withThresholds(first, null), checkpoints);
        assertFalse(Files.exists(abandoned), "a dead writer's temporary is removed");
        assertTrue(Files.exists(live), "a running writer's temporary is kept");
        Files.delete(live);
    }

    @Test
    void aZipEntryIsRefusedByItsDeclaredSizeBeforeItIsInflated() throws Exception {
        Path folder = tmp.resolve("for-bomb");
        CascadePackage.write(folder, config, checkpoints);
        Path zip = tmp.resolve("bomb.zip");
        try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(Files.newOutputStream(zip))) {
            for (String name : List.of("anchornet.pth", "glance.pth", "patch.pth")) {
                out.putNextEntry(new java.util.zip.ZipEntry(name));
                out.write(Files.readAllBytes(folder.resolve(name)));
                out.closeEntry();
            }
            // 64 MB of one byte deflates to about 64 KB; its size is declared in the central directory
            out.putNextEntry(new java.util.zip.ZipEntry("cascade.json"));
            byte[] block = new byte[1 << 20];
            java.util.Arrays.fill(block, (byte) ' ');
            for (int i = 0; i < 64; i++) {
                out.write(block);
            }
            out.closeEntry();
        }
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(zip.toFile())) {
            long packed = z.getEntry("cascade.json").getCompressedSize();
            assertTrue(packed < (1L << 20), "the bomb is small packed: " + packed);
        }
        CascadeFormatException e = assertThrows(CascadeFormatException.class, () -> Cascade.load(zip).close());
        assertTrue(e.getMessage().contains("declares " + (64L << 20) + " bytes unpacked"), e.getMessage());
    }

    @Test
    void weightsThatDoNotFitTheArchitectureOrClassesAreRefusedByFileName() throws Exception {
        for (CascadeConfig wrong : List.of(
                CascadeConfig.builder().arch("resnet34").classes(FashionMnist.CLASSES).inputSize(128).topK(3).build(),
                CascadeConfig.builder().arch("resnet18").classes(List.of("a", "b", "c")).inputSize(128).topK(3)
                        .build())) {
            Path folder = tmp.resolve("misfit-" + wrong.arch() + wrong.numClasses());
            CascadePackage.write(folder, wrong, checkpoints);
            CascadeFormatException e = assertThrows(CascadeFormatException.class, () -> Cascade.load(folder).close());
            assertTrue(e.getMessage().contains(".pth") && e.getMessage().contains("does not fit"), e.getMessage());
        }
    }

    @Test
    void aDamagedZipIsAClearError() throws Exception {
        Path zip = tmp.resolve("broken.zip");
        Files.write(zip, "PK not really a zip".getBytes(StandardCharsets.UTF_8));
        CascadeFormatException e = assertThrows(CascadeFormatException.class, () -> Cascade.load(zip).close());
        assertTrue(e.getMessage().contains("broken.zip"), e.getMessage());
        CascadeFormatException none = assertThrows(CascadeFormatException.class,
                () -> Cascade.load(tmp.resolve("nothing-here")).close());
        assertTrue(none.getMessage().contains("no such cascade package"), none.getMessage());
    }

    @Test
    void aFolderThatIsNotAPackageIsNotReplaced() throws Exception {
        Path folder = tmp.resolve("precious");
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("notes.txt"), "keep me");
        IOException e = assertThrows(IOException.class, () -> CascadePackage.write(folder, config, checkpoints));
        assertTrue(e.getMessage().contains("not what this would replace"), e.getMessage());
        assertEquals("keep me", Files.readString(folder.resolve("notes.txt")));
        AtomicFiles.deleteTree(folder);
    }
}
