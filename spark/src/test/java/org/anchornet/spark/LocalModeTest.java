package org.anchornet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.Prediction;
import org.anchornet.exits.ExitTable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job in Spark's local mode: the same answers as one machine, damaged images listed, a retried task, tables. */
class LocalModeTest {
    @TempDir static Path tmp;
    static Path pkg;
    static Path root;
    static Map<String, Prediction> direct;

    @BeforeAll
    static void data() throws Exception {
        pkg = SparkJobFixture.cascade(tmp);
        root = SparkJobFixture.images(tmp, 20);
        direct = SparkJobFixture.direct(pkg, root);
        SparkJobFixture.damaged(root);
    }

    static Map<String, JsonObject> jsonRows(Path out) throws Exception {
        return SparkJobFixture.jsonRows(out);
    }

    static void assertSameAsDirect(Map<String, JsonObject> rows) {
        SparkJobFixture.assertSameAs(direct, rows);
    }

    @Test
    void classifiesEveryImageAsOneMachineDoesAndListsTheDamagedOne() throws Exception {
        Path out = tmp.resolve("out-json");
        int loadedBefore = ExecutorCascades.loaded();
        SparkJobFixture.Run r = SparkJobFixture.run(SparkJobFixture.args(pkg, root, out, "--format", "json",
                "--master", "local[2]"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("21 images (1 damaged)"), r.out());
        assertTrue(r.out().contains("tasks: "), "the driver prints progress");
        Map<String, JsonObject> rows = jsonRows(out);
        assertEquals(21, rows.size());
        assertSameAsDirect(rows);
        JsonObject broken = rows.entrySet().stream().filter(e -> e.getKey().endsWith("broken.png")).findFirst()
                .orElseThrow().getValue();
        assertTrue(broken.get("error").getAsString().contains("not an image"), broken.toString());
        assertTrue(ExecutorCascades.loaded() - loadedBefore <= 1, "one cascade per JVM, whatever the tasks");
    }

    @Test
    void aSecondCascadeInTheSameJvmIsLoadedNotTheFirstReused() throws Exception {
        Path otherDir = Files.createDirectories(tmp.resolve("other"));
        Path other = SparkJobFixture.cascade(otherDir, 11);
        Map<String, Prediction> otherDirect = SparkJobFixture.direct(other, root);
        for (Path p : List.of(pkg, other)) {
            Path out = tmp.resolve(p == pkg ? "out-first-cascade" : "out-second-cascade");
            SparkJobFixture.Run r = SparkJobFixture.run(SparkJobFixture.args(p, root, out, "--format", "json",
                    "--master", "local[1]"));
            assertEquals(0, r.code(), r.err());
            Map<String, JsonObject> rows = jsonRows(out);
            SparkJobFixture.assertSameAs(p == pkg ? direct : otherDirect, rows);
        }
        assertTrue(otherDirect.entrySet().stream().anyMatch(e -> Math.abs(direct.get(e.getKey()).confidence()
                - e.getValue().confidence()) > 1e-3), "the two cascades disagree, so reuse would be caught");
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndEveryImageIsWrittenExactlyOnce() throws Exception {
        Path out = tmp.resolve("out-retry");
        Path marker = tmp.resolve("failed-once");
        SparkJobFixture.Run r = SparkJobFixture.run(SparkJobFixture.args(pkg, root, out, "--format", "json",
                "--master", "local[2,2]", "--partitions", "4", "--conf", "spark.anchornet.test.failOnce=" + marker));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.exists(marker), "the fault switch fired");
        assertTrue(r.out().contains("1 failed"), r.out());
        Map<String, JsonObject> rows = jsonRows(out);
        assertEquals(21, rows.size(), "every image once, the failed attempt's rows discarded");
        assertSameAsDirect(rows);
    }

    @Test
    void parquetIsTheDefaultAndStrictFailsOnADamagedImage() throws Exception {
        Path out = tmp.resolve("out-parquet");
        SparkJobFixture.Run r = SparkJobFixture.run(SparkJobFixture.args(pkg, root, out, "--master", "local[2]"));
        assertEquals(0, r.code(), r.err());
        try (SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                .getOrCreate()) {
            List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
            assertEquals(21, rows.size());
            assertEquals(List.of("path", "class", "class_index", "confidence", "exit_stage", "multiply_adds", "gmacs",
                    "stage_predictions", "windows", "label", "label_name", "error"),
                    List.of(spark.read().parquet(out.toString()).columns()));
        }
        SparkJobFixture.Run strict = SparkJobFixture.run(SparkJobFixture.args(pkg, root, tmp.resolve("out-strict"),
                "--master", "local[2]", "--strict"));
        assertEquals(2, strict.code());
        assertTrue(strict.err().contains("strict") && strict.err().contains("broken.png"), strict.err());
    }

    @Test
    void allStagesGiveTheExitTableMakeTableWouldMake() throws Exception {
        Path out = tmp.resolve("out-stages");
        Path table = tmp.resolve("table.pth");
        SparkJobFixture.Run r = SparkJobFixture.run(SparkJobFixture.args(pkg, root, out, "--format", "json",
                "--master", "local[2]", "--all-stages", "--table", table.toString()));
        assertEquals(0, r.code(), r.err());
        ExitTable t = ExitTable.read(table);
        assertEquals(20, t.images(), "the damaged image is not in the table");
        assertEquals(4, t.stages());
        try (Cascade c = Cascade.load(pkg)) {
            for (int i = 0; i < t.images(); i++) {
                Path file = Path.of(java.net.URI.create(t.metadata().imageIds().get(i)).getPath());
                float[] x = c.preprocess(org.anchornet.data.ImageDecoder.decode(file));
                Prediction every;
                try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
                    every = c.trace(m.create(x, new ai.djl.ndarray.types.Shape(1, 3, 128, 128))).get(0);
                }
                for (int j = 0; j < 4; j++) {
                    assertEquals(every.stages().get(j).predicted(), t.predicted(j, i).orElseThrow(), file + " " + j);
                    assertEquals(every.stages().get(j).confidence(), t.confidence(j, i), 1e-5, file + " " + j);
                }
                int label = Integer.parseInt(file.getParent().getFileName().toString().split("_")[0]);
                assertEquals(label, t.label(i).orElseThrow().intValue());
            }
        }
    }
}
