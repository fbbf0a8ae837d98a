package org.anchornet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.anchornet.testing.Golden;
import org.anchornet.testing.JsonAnswers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark job's rows carry the answers recorded in the golden file (as predict, classify and the server do). */
class GoldenSparkTest {
    @TempDir Path tmp;

    @Test
    void theJobsRowsAreTheGoldenAnswers() throws Exception {
        Golden golden = Golden.load();
        Path pkg = golden.writeCascade(tmp.resolve("cascade"));
        Path out = tmp.resolve("rows");
        SparkJobFixture.Run r = SparkJobFixture.run(SparkJobFixture.args(pkg, golden.images(), out, "--format",
                "json", "--master", "local[2]"));
        assertEquals(0, r.code(), r.err());
        Map<String, JsonObject> rows = SparkJobFixture.jsonRows(out);
        List<Path> files = golden.imageFiles();
        List<JsonObject> answers = golden.answers();
        assertEquals(files.size(), rows.size());
        for (int i = 0; i < files.size(); i++) {
            JsonObject row = rows.get(files.get(i).toAbsolutePath().normalize().toString());
            assertNotNull(row, "a row for " + files.get(i) + " among " + rows.keySet());
            JsonObject expected = Golden.withoutImage(answers.get(i));
            expected.remove("top10"); // the job's table has no top-10 column
            JsonObject actual = row.deepCopy();
            for (String column : List.of("path", "label", "label_name")) {
                actual.remove(column);
            }
            JsonAnswers.assertSameAnswer(expected, actual, "spark " + answers.get(i).get("image").getAsString());
        }
    }
}
