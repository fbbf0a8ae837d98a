package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.StreamSupport;
import org.anchornet.exits.ExitRule;
import org.anchornet.exits.ExitTable;
import org.anchornet.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench --replay-table}: a random-weight cascade whose images leave where the authors' table says. */
class BenchCommandTest {
    @TempDir Path tmp;

    @Test
    void replayedImagesLeaveWhereTheTableSays() throws Exception {
        Path table = Fixtures.file("reference_table.pth");
        double[] thresholds = {0.5, 0.7, 0.8, 0.85, 0.9, 0};
        Path json = tmp.resolve("bench.json");
        CliTest.Run r = CliTest.run("bench", "--replay-table", table.toString(), "--thresholds", "0.5", "0.7", "0.8",
                "0.85", "0.9", "0", "--arch", "resnet18", "--num-classes", "10", "--input-size", "128", "--images",
                "8", "--batch-size", "4", "--rounds", "1", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("speedup "), r.out());

        ExitTable rows = ExitTable.read(table);
        long[] reaching = new long[rows.stages()];
        for (int i = 0; i < 8; i++) {
            final int row = i;
            int exit = ExitRule.exitStage(s -> rows.confidence(s, row), thresholds);
            for (int s = 0; s <= exit; s++) {
                reaching[s]++;
            }
        }
        JsonObject figures = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        long[] perStage = StreamSupport.stream(figures.getAsJsonArray("images_per_stage").spliterator(), false)
                .mapToLong(e -> e.getAsLong()).toArray();
        assertArrayEquals(reaching, perStage, "images through each stage, as replayed");
        assertEquals(reaching[1], figures.get("anchornet_images").getAsLong(), "AnchorNet runs past the glance");
        assertTrue(reaching[1] > 0 && reaching[1] < 8, "the replay sends some images past the glance, not all");

        // where the time went: the stage clock counts the same images, in batches of at most --batch-size
        JsonObject times = figures.getAsJsonObject("stage_times");
        var stages = times.getAsJsonArray("stages");
        assertEquals(rows.stages(), stages.size());
        double engineSeconds = times.get("engine_seconds").getAsDouble();
        for (int s = 0; s < stages.size(); s++) {
            JsonObject st = stages.get(s).getAsJsonObject();
            assertEquals(s + 1, st.get("stage").getAsInt());
            assertEquals(reaching[s], st.get("images").getAsLong(), "stage " + (s + 1));
            long batches = st.get("batches").getAsLong();
            assertTrue(batches <= reaching[s], "stage " + (s + 1) + ": " + st);
            if (s <= 1) {
                assertTrue(batches >= (reaching[s] + 3) / 4, "stage " + (s + 1) + ": " + st);
            } else if (reaching[s] > 0 && batches == 0) {
                // a lone image's pass also computes its next window (it runs as a pair anyway): this stage's
                // images were all computed, and timed, in the stage before
                assertTrue(stages.get(s - 1).getAsJsonObject().get("batches").getAsLong() > 0, st.toString());
            }
            assertEquals(batches > 0, st.get("network_ms_per_image").getAsDouble() > 0, st.toString());
            assertEquals(s == 1 && reaching[1] > 0, st.has("anchornet_ms_per_image")
                    && st.get("anchornet_ms_per_image").getAsDouble() > 0, "AnchorNet runs before stage 2 only");
        }
        double parts = times.getAsJsonObject("seconds_by_part").entrySet().stream()
                .mapToDouble(e -> e.getValue().getAsDouble()).sum();
        assertEquals(engineSeconds, parts, engineSeconds * 0.02, "the parts and the unaccounted rest make the whole");
        assertTrue(times.getAsJsonObject("seconds_by_part").get("network").getAsDouble() > 0);
        assertTrue(r.out().contains("where the time went"), r.out());

        CliTest.Run refused = CliTest.run("bench", "--replay-table", table.toString(), "--thresholds", "0.5");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("one per table stage (6)"), refused.err());
    }
}
