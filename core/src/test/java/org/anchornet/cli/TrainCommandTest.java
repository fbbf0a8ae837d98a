package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.anchornet.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anchornet train} on a small ImageFolder tree made here, as a user's folder of photos would be: images of
 * several sizes and formats (JPEG, PNG, gray, palette, an upper-case extension, a nested folder), litter files, one
 * damaged image, class names with a space and an accent; no test/ folder, so part of val/ is held out.
 */
class TrainCommandTest {
    static final List<String> CLASSES = List.of("café", "dog face", "plane");
    @TempDir static Path tmp;
    static Path tree;

    @BeforeAll
    static void makeTree() throws Exception {
        tree = tmp.resolve("photos");
        Random random = new Random(7);
        for (String split : List.of("train", "val")) {
            for (int c = 0; c < CLASSES.size(); c++) {
                Path dir = tree.resolve(split).resolve(CLASSES.get(c));
                Files.createDirectories(dir.resolve("nested"));
                int count = split.equals("train") ? 12 : 6;
                for (int i = 0; i < count; i++) {
                    String[] kinds = {"png", "jpg", "gray", "palette", "JPG"};
                    String kind = kinds[i % kinds.length];
                    int w = 100 + random.nextInt(140);
                    int h = 100 + random.nextInt(140);
                    BufferedImage image = new BufferedImage(w, h, kind.equals("gray") ? BufferedImage.TYPE_BYTE_GRAY
                            : kind.equals("palette") ? BufferedImage.TYPE_BYTE_INDEXED : BufferedImage.TYPE_INT_RGB);
                    Graphics2D g = image.createGraphics();
                    g.setColor(new Color(40 + 60 * c, 200 - 70 * c, 90 + 50 * c)); // each class its own colour
                    g.fillRect(random.nextInt(w / 2), random.nextInt(h / 2), w / 2, h / 2);
                    g.dispose();
                    String format = kind.equalsIgnoreCase("jpg") ? "jpg" : "png";
                    Path file = (i == 3 ? dir.resolve("nested") : dir).resolve("img" + i + "." + (kind.equals("JPG")
                            ? "JPG" : format));
                    ImageIO.write(image, format, file.toFile());
                }
                Files.writeString(dir.resolve(".DS_Store"), "litter");
                Files.writeString(dir.resolve("notes.txt"), "not an image");
            }
        }
        // a damaged image: a JPEG cut in half
        Path whole = tree.resolve("train/plane/img1.jpg");
        byte[] bytes = Files.readAllBytes(whole);
        Files.write(tree.resolve("train/plane/damaged.jpg"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
    }

    @Test
    void aTreeOfPhotosTrainsEndToEndFromTorchvisionWeightsAndItsPackageAnswers() throws Exception {
        Path out = tmp.resolve("run");
        // torchvision's own mobilenet_v3_large state dict (1,000 classes): the head is replaced for 3 classes
        CliTest.Run r = CliTest.run("train", "--data", tree.toString(), "--out", out.toString(), "--quick",
                "--quiet", "--arch", "mobilenet_v3_large", "--input-size", "128", "--resolutions", "112",
                "--pretrained", Fixtures.file("mobilenet_v3_large_state.pth").toString(), "--workers", "1",
                "--budget-fraction", "0.9", "--pretrained-anchornet", Fixtures.file("anchornet_state.pth").toString());
        assertEquals(0, r.code(), r.out() + r.err());
        String log = r.out();
        assertTrue(log.contains("every 2nd image of val/ held out (9 images"), log);
        assertTrue(log.contains("no pretraining"), log);
        assertTrue(log.contains("training AnchorNet from ") && log.contains("anchornet_state.pth"), log);
        assertTrue(log.contains("damaged.jpg"), "the damaged image is named:\n" + log);
        assertFalse(log.contains("pretraining mobilenet_v3_large from scratch"), log);
        assertTrue(log.contains("summary (test images):") && log.contains("early exit, AnchorNet's windows")
                && log.contains("cascade: " + out.resolve("cascade")), "a summary ends the log:\n" + log);

        JsonObject summary = JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
        JsonObject data = summary.getAsJsonObject("data");
        assertEquals("image-folder", data.get("dataset").getAsString());
        assertEquals(37, data.get("train").getAsInt(), "37 image files in train/: litter ignored, the damaged one listed");
        assertEquals(9, data.get("val").getAsInt());
        assertEquals(9, data.get("test").getAsInt());
        String report = Files.readString(out.resolve("report.html"));
        assertTrue(report.contains("AnchorNet on " + tree), report);
        assertTrue(report.contains("Class by class") && report.contains("<td>dog face</td>"), report);
        // the confusion matrix counts every test image once, under its true class
        List<String> confusion = Files.readAllLines(out.resolve("confusion.csv"));
        assertEquals(1 + CLASSES.size(), confusion.size(), String.join("\n", confusion));
        int counted = 0;
        for (String row : confusion.subList(1, confusion.size())) {
            String[] cells = row.split(",");
            for (int c = 1; c < cells.length; c++) {
                counted += Integer.parseInt(cells[c]);
            }
        }
        assertEquals(9, counted);
        List<String> perClass = Files.readAllLines(out.resolve("per_class.csv"));
        assertEquals("class,test_images,top1", perClass.get(0));
        assertTrue(perClass.get(1).startsWith("café,3,"), perClass.get(1));

        JsonObject config = JsonParser.parseString(Files.readString(out.resolve("cascade/cascade.json")))
                .getAsJsonObject();
        JsonArray classes = config.getAsJsonArray("classes");
        assertEquals(CLASSES, classes.asList().stream().map(e -> e.getAsString()).toList());
        assertEquals(146, config.get("eval_resize").getAsInt(), "Resize(146) before CenterCrop(128), as 256 to 224");

        CliTest.Run predict = CliTest.run("predict", "--cascade", out.resolve("cascade").toString(),
                tree.resolve("val/dog face/img1.jpg").toString());
        assertEquals(0, predict.code(), predict.err());
        String answered = JsonParser.parseString(predict.out()).getAsJsonArray().get(0).getAsJsonObject()
                .get("class").getAsString();
        assertTrue(CLASSES.contains(answered), answered);
    }

    @Test
    void mismatchedClassFoldersAndWeightsThatDoNotFitAreRefusedBeforeAnyTraining() throws Exception {
        Path odd = tmp.resolve("odd");
        org.anchornet.testing.Folders.copyTree(tree, odd);
        Files.createDirectories(odd.resolve("val/zebra"));
        Files.copy(tree.resolve("val/plane/img0.png"), odd.resolve("val/zebra/img0.png"));
        org.anchornet.io.AtomicFiles.deleteTree(odd.resolve("val/café"));
        Path out = tmp.resolve("refused");
        CliTest.Run r = CliTest.run("train", "--data", odd.toString(), "--out", out.toString(), "--quick");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("missing [café]") && r.err().contains("not in train/: [zebra]"), r.err());
        assertFalse(Files.exists(out.resolve("seed-0/checkpoints")) || Files.exists(out.resolve("checkpoints")),
                "nothing trained");

        Files.createDirectories(odd.resolve("train/empty"));
        CliTest.Run empty = CliTest.run("train", "--data", odd.toString(), "--out", out.toString(), "--quick");
        assertEquals(2, empty.code());
        assertTrue(empty.err().contains("empty") && empty.err().contains("without image files"), empty.err());

        CliTest.Run tooCheap = CliTest.run("train", "--data", tree.toString(), "--out", tmp.resolve("cheap")
                .toString(), "--quick", "--arch", "mobilenet_v3_large", "--input-size", "128", "--resolutions", "none");
        assertEquals(2, tooCheap.code(), tooCheap.out() + tooCheap.err());
        assertTrue(tooCheap.err().contains("below its glance") && tooCheap.err().contains("--budget-fraction 0.58"),
                tooCheap.err());
        assertFalse(tooCheap.out().contains("training AnchorNet"), "refused before training");

        CliTest.Run twoBudgets = CliTest.run("train", "--data", tree.toString(), "--out", tmp.resolve("two")
                .toString(), "--quick", "--budget-fraction", "0.5", "--budget-ms", "8");
        assertEquals(2, twoBudgets.code(), twoBudgets.out() + twoBudgets.err());
        assertTrue(twoBudgets.err().contains("--budget-fraction or --budget-ms, not both"), twoBudgets.err());
        CliTest.Run noTime = CliTest.run("train", "--data", tree.toString(), "--out", tmp.resolve("zero")
                .toString(), "--quick", "--budget-ms", "0");
        assertEquals(2, noTime.code(), noTime.out() + noTime.err());

        CliTest.Run misfit = CliTest.run("train", "--data", tree.toString(), "--out", tmp.resolve("misfit")
                .toString(), "--quick", "--arch", "resnet18", "--pretrained", Fixtures.file(
                "mobilenet_v3_large_state.pth").toString());
        assertEquals(2, misfit.code(), misfit.out() + misfit.err());
        assertTrue(misfit.err().contains("does not fit resnet18"), misfit.err());
        assertEquals(1, misfit.err().strip().lines().count(), misfit.err());
    }
}
