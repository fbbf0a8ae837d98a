package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.model.Architectures;
import org.anchornet.model.StateDictMapper;
import org.anchornet.torchio.TorchWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** classify, predict and visualize on random-weight networks and a small exported folder. */
class EngineCommandsTest {
    @TempDir static Path tmp;

    @BeforeAll
    static void setUp() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (String arch : new String[] {"anchornet", "resnet18"}) {
                TorchWriter.write(tmp.resolve(arch + ".pth"),
                        StateDictMapper.stateDict(Architectures.get(arch).create(manager, 10, 5), 0));
            }
        }
        new ClutteredFashionMnist(FashionMnist.read(Path.of("src/test/resources/fashion-mnist-sample")),
                ClutteredFashionMnist.Split.TEST, 4, ClutteredFashionMnist.Config.defaults(2))
                .export(tmp.resolve("images"));
    }

    private static List<String> engineArgs(String command, String... extra) {
        List<String> args = new ArrayList<>(List.of(command, "--arch", "resnet18",
                "--pretrained-anchornet", tmp.resolve("anchornet.pth").toString(),
                "--resized-pretrained", tmp.resolve("resnet18.pth").toString(),
                "--patch-pretrained", tmp.resolve("resnet18.pth").toString()));
        args.addAll(List.of(extra));
        return args;
    }

    @Test
    void classifyReportsEveryImageAndTheWorkPerStage() {
        CliTest.Run r = CliTest.run(engineArgs("classify", "--data", tmp.resolve("images").toString(), "--thresholds",
                "0.5", "0.5", "0.5", "0.5", "0").toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertEquals(4, r.out().lines().filter(l -> l.contains("\tstage ")).count(), r.out());
        assertTrue(r.out().contains("images per stage: [4,"), r.out());
        assertTrue(r.out().contains("top-1"), r.out());
    }

    @Test
    void predictGivesTopTenWindowsAndFigures() throws Exception {
        Path image;
        try (Stream<Path> files = Files.walk(tmp.resolve("images"))) {
            image = files.filter(p -> p.toString().endsWith(".png")).findFirst().orElseThrow();
        }
        Path figures = tmp.resolve("figures");
        CliTest.Run r = CliTest.run(engineArgs("predict", image.toString(), "--thresholds", "2", "2", "2", "2", "0",
                "--labels", labels().toString(), "--figures", figures.toString()).toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        JsonArray results = JsonParser.parseString(r.out()).getAsJsonArray();
        JsonObject one = results.get(0).getAsJsonObject();
        assertEquals(10, one.getAsJsonArray("top10").size());
        assertEquals(4, one.getAsJsonArray("windows").size());
        assertEquals(5, one.get("exit_stage").getAsInt(), "thresholds of 2 keep every image to the last stage");
        assertEquals(5, one.getAsJsonArray("stage_predictions").size());
        String base = image.getFileName().toString().replace(".png", "");
        for (String suffix : List.of("_predictions.png", "_cam.png", "_top10.png", "_top10.svg")) {
            assertTrue(Files.size(figures.resolve(base + suffix)) > 1000, suffix);
        }
    }

    @Test
    void visualizeDrawsEveryImage() throws Exception {
        Path out = tmp.resolve("drawn");
        CliTest.Run r = CliTest.run("visualize", "--data", tmp.resolve("images").toString(), "--save-dir",
                out.toString(), "--pretrained-anchornet", tmp.resolve("anchornet.pth").toString(), "--topk", "3",
                "--quiet");
        assertEquals(0, r.code(), r.err());
        try (Stream<Path> files = Files.walk(out)) {
            assertEquals(4, files.filter(p -> p.toString().endsWith(".png")).count());
        }
    }

    @Test
    void classifyWithoutThresholdsIsAOneLineError() {
        CliTest.Run r = CliTest.run(engineArgs("classify", "--data", tmp.resolve("images").toString())
                .toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--thresholds"), r.err());
    }

    private static Path labels() throws Exception {
        return Files.write(tmp.resolve("labels.txt"), FashionMnist.CLASSES);
    }
}
