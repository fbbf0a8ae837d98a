package org.anchornet.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.anchornet.torchio.TorchWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingTableTest {
    private static final String HEADER = "epoch,lr,train_loss,train_top1,val_top1,images_per_s,data_wait_s,seconds\n";

    @TempDir Path tmp;

    private void log(String network, double... valAndSeconds) throws IOException {
        StringBuilder csv = new StringBuilder(HEADER);
        for (int i = 0; i < valAndSeconds.length; i += 2) {
            csv.append(i / 2 + 1).append(",0.01,0.5,0.8,").append(valAndSeconds[i]).append(",20,0.1,")
                    .append(valAndSeconds[i + 1]).append('\n');
        }
        Files.createDirectories(tmp.resolve(network));
        Files.writeString(tmp.resolve(network).resolve("train_log.csv"), csv);
    }

    @Test
    void eachNetworkInPipelineOrderWithItsKeptEpochAndTime() throws IOException {
        log("resized-192", 0.70, 60, 0.72, 60);
        log("resized-128", 0.65, 30);
        log("full", 0.70, 100, 0.74, 110, 0.73, 120, 0.74, 100); // a tie does not replace the earlier best
        log("pretrained", 0.50, 200, 0.60, 200);
        log("patch-cross-fit", 0.71, 90, 0.72, 90);
        // the refinement never beat its starting weights: best.pth says epoch 0, which its log cannot show
        TorchWriter.write(tmp.resolve("patch-cross-fit/best.pth"), Map.of("epoch", 0L));
        Files.createDirectories(tmp.resolve("glance")); // a network not trained yet has no log
        log("glance-fold-0"); // or a log of no epoch

        List<TrainingTable.Network> networks = TrainingTable.read(tmp);
        assertEquals(List.of("pretrained", "full", "patch-cross-fit", "resized-128", "resized-192"),
                networks.stream().map(TrainingTable.Network::name).toList());
        TrainingTable.Network full = networks.get(1);
        assertEquals(4, full.epochs());
        assertEquals(2, full.bestEpoch());
        assertEquals(0.74, full.bestValTop1(), 1e-12);
        assertEquals(430, full.seconds(), 1e-9);
        TrainingTable.Network refined = networks.get(2);
        assertEquals(0, refined.bestEpoch());
        assertTrue(Double.isNaN(refined.bestValTop1()));

        String html = TrainingTable.html(tmp);
        assertTrue(html.contains("<tr><td>full</td><td>4</td><td>2</td><td>74.00</td><td>7.2</td></tr>"), html);
        assertTrue(html.contains("<td>0 (start kept)</td><td></td>"), html);
        // still improving when its epochs ran out: the kept epoch is the last, and the table says so
        assertTrue(html.contains("<tr><td>resized-192</td><td>2</td><td>2 (the last)</td><td>72.00</td>"), html);
    }

    @Test
    void aDamagedLogIsNamedInTheReportNotFatal() throws IOException {
        log("full", 0.70, 100);
        Files.writeString(tmp.resolve("full/train_log.csv"), HEADER + "1,0.01,0.5,0.8,seventy,20,0.1,100\n");
        IOException e = assertThrows(IOException.class, () -> TrainingTable.read(tmp));
        assertTrue(e.getMessage().contains("full/train_log.csv") && e.getMessage().contains("not a training log"),
                e.getMessage());
        String html = TrainingTable.html(tmp);
        assertTrue(html.startsWith("<h2>Training</h2><p class=\"bad\">") && html.contains("train_log.csv"), html);
        assertEquals("", TrainingTable.html(tmp.resolve("missing")), "no checkpoints, no section");
        Files.writeString(tmp.resolve("full/train_log.csv"), HEADER + "1,0.01,0.5,\"0.8,0.7,20,0.1,100\n");
        IOException unclosed = assertThrows(IOException.class, () -> TrainingTable.read(tmp));
        assertTrue(unclosed.getMessage().contains("not a training log"), unclosed.getMessage());
    }
}
