package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Map;
import org.anchornet.data.ClutteredFashionMnist;
import org.anchornet.data.FashionMnist;
import org.anchornet.exits.ExitTable;
import org.anchornet.model.Architectures;
import org.anchornet.model.StateDictMapper;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MakeTableCommandTest {
    @TempDir static Path tmp;

    @BeforeAll
    static void weightsAndData() throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (String arch : new String[] {"anchornet", "resnet18"}) {
                TorchWriter.write(tmp.resolve(arch + ".pth"),
                        StateDictMapper.stateDict(Architectures.get(arch).create(manager, 10, 3), 0));
            }
        }
        FashionMnist fashion = FashionMnist.read(Path.of("src/test/resources/fashion-mnist-sample"));
        new ClutteredFashionMnist(fashion, ClutteredFashionMnist.Split.VAL, 5,
                new ClutteredFashionMnist.Config(128, 3, 2, 12, 4, 1)).export(tmp.resolve("data").resolve("val"));
    }

    private static String[] args(String... extra) {
        String[] base = {"make-table", "--data", tmp.resolve("data").toString(), "--arch", "resnet18",
            "--pretrained-anchornet", tmp.resolve("anchornet.pth").toString(),
            "--resized-pretrained", tmp.resolve("resnet18.pth").toString(),
            "--patch-pretrained", tmp.resolve("resnet18.pth").toString(), "--input-size", "128", "--quiet",
            "--save-dir", tmp.resolve("tables").toString(), "--workers", "1"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void writesAReferenceCompatibleTableThatSaysWhatItIs() throws Exception {
        CliTest.Run r = CliTest.run(args("--topk", "3", "--iou-thresholds", "0.3,0.5"));
        assertEquals(0, r.code(), r.err());
        Path file = tmp.resolve("tables").resolve("resnet18_95_val.pth");
        ExitTable table = ExitTable.read(file);
        assertEquals(5, table.images());
        assertEquals(4, table.stages());
        assertEquals("resnet18_95_[0.3, 0.5]", table.metadata().setup());
        assertEquals(4, table.metadata().stageCosts().orElseThrow().length);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(table.predicted(j, i).orElseThrow().longValue() == table.label(i).orElseThrow(),
                        table.correct(j, i));
                assertTrue(table.confidence(j, i) >= 0.1f - 1e-6 && table.confidence(j, i) <= 1f,
                        "10-class max softmax");
            }
        }
        assertTrue(table.metadata().imageIds().get(0).endsWith(".png"));
        Map<String, Object> raw = TorchReader.readDict(file);
        assertTrue(raw.keySet().containsAll(java.util.List.of("setup", "thresholds", "predictions")));
        assertTrue(r.out().contains("5 images × 4 stages"), r.out());
        // Stage 1 is the glance network alone on each image resized to 95 px (the table read it as the data
        // were: an image folder, so resized to 146 and centre-cropped to 128 first, as --eval-resize defaults).
        org.anchornet.data.ImageFolder folder = new org.anchornet.data.ImageFolder(tmp.resolve("data").resolve("val"));
        try (NDManager m = NDManager.newBaseManager()) {
            var glance = Architectures.get("resnet18").loadForInference(m, 10, tmp.resolve("resnet18.pth"));
            for (int i = 0; i < 5; i++) {
                float[] x = org.anchornet.data.Transforms.evaluation(folder.load(i).image(), 146, 128);
                var logits = glance.forward(new ai.djl.training.ParameterStore(m, false), new ai.djl.ndarray.NDList(
                        org.anchornet.localize.Glance.resize(m.create(x, new ai.djl.ndarray.types.Shape(1, 3, 128,
                                128)), 95)), false).singletonOrThrow();
                float[] p = logits.softmax(1).toFloatArray();
                int top = (int) logits.argMax(1).getLong();
                assertEquals(p[top], table.confidence(0, i), 1e-5, "image " + i);
                assertEquals(top, table.predicted(0, i).orElseThrow());
            }
        }
    }

    @Test
    void badSettingsAreOneLineErrors() {
        for (String[] extra : new String[][] {{"--topk", "0"}, {"--topk", "400"}, {"--topk", "2",
            "--iou-thresholds", "1.5"}, {"--split", "train"}, {"--topk", "3", "--iou-thresholds", "0.3"}}) {
            CliTest.Run r = CliTest.run(args(extra));
            assertEquals(2, r.code(), String.join(" ", extra) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }
}
