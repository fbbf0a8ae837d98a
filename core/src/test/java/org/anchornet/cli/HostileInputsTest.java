package org.anchornet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.anchornet.exits.ExitTable;
import org.anchornet.serve.ServeTesting;
import org.anchornet.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an unlucky or hostile user gives the commands: tables that lie, unbounded files and lists, numbers out of
 * range, images that resize to billions of pixels. Each is one line on stderr, exit 2, nothing half-printed.
 */
class HostileInputsTest {
    private static final String[] COSTS = {"--downstream-gmacs", "0.7898", "--anchornet-gmacs", "0.0605"};

    @TempDir static Path tmp;

    @BeforeAll
    static void tables() throws Exception {
        ExitTable good = ExitTable.read(Fixtures.file("reference_table.pth")).subset(java.util.stream.IntStream
                .range(0, 2000).toArray());
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, 1.5f, -0.1f}) {
            float[][] conf = new float[good.stages()][good.images()];
            boolean[][] correct = new boolean[good.stages()][good.images()];
            for (int j = 0; j < good.stages(); j++) {
                for (int i = 0; i < good.images(); i++) {
                    conf[j][i] = good.confidence(j, i);
                    correct[j][i] = good.correct(j, i);
                }
            }
            conf[2][1234] = bad;
            new ExitTable(conf, correct, null, null, good.metadata()).write(tmp.resolve("table-" + bad + ".pth"));
        }
        float[][] allNan = new float[good.stages()][good.images()];
        for (float[] row : allNan) {
            Arrays.fill(row, Float.NaN);
        }
        new ExitTable(allNan, new boolean[good.stages()][good.images()], null, null, good.metadata())
                .write(tmp.resolve("table-all-nan.pth"));
    }

    private static CliTest.Run refused(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        if (args[0].equals("dynamic-inference") && !all.contains("--patch-size")) {
            all.addAll(List.of(COSTS));
        }
        CliTest.Run r = CliTest.run(all.toArray(String[]::new));
        assertEquals(2, r.code(), String.join(" ", args) + "\n" + r.out() + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.out().isBlank(), "nothing printed before the refusal: " + r.out());
        return r;
    }

    @Test
    void tablesWithNonFiniteOrOutOfRangeConfidencesAreRefusedNamingTheRow() {
        for (String bad : List.of("NaN", "Infinity", "1.5", "-0.1")) {
            String table = tmp.resolve("table-" + bad + ".pth").toString();
            for (List<String> mode : List.of(List.of("--budget", "1.5"), List.of("--budget", "1.5", "--json"),
                    List.of("--sweep", "--save-dir", tmp.resolve("sweep").toString()),
                    List.of("--thresholds", "0.5", "0.5", "0.5", "0.5", "all"))) {
                List<String> args = new ArrayList<>(List.of("dynamic-inference", "--table-file", table));
                args.addAll(mode);
                CliTest.Run r = refused(args.toArray(String[]::new));
                assertTrue(r.err().contains("row 1234, stage 3"), r.err());
            }
        }
        refused("dynamic-inference", "--table-file", tmp.resolve("table-all-nan.pth").toString(), "--sweep",
                "--save-dir", tmp.resolve("sweep").toString());
    }

    @Test
    void noPackageIsWrittenFromATableThatLies() throws Exception {
        Path pkg = ServeTesting.makePackage(tmp.resolve("fit-pkg"));
        Path out = tmp.resolve("refit");
        CliTest.Run r = refused("fit-thresholds", "--cascade", pkg.toString(), "--table",
                tmp.resolve("table-NaN.pth").toString(), "--budget", "1.0", "--out", out.toString());
        assertTrue(r.err().contains("row 1234, stage 3"), r.err());
        assertTrue(!Files.exists(out), "nothing written");
    }

    @Test
    void unboundedFilesListsAndNumbersAreRefusedBeforeUse() throws Exception {
        String table = Fixtures.file("reference_table.pth").toString();
        CliTest.Run zero = refused("dynamic-inference", "--table-file", table, "--thresholds-file", "/dev/zero");
        assertTrue(zero.err().contains("larger than"), zero.err());
        Path huge = tmp.resolve("huge.txt");
        Files.writeString(huge, "0.5 ".repeat(3_000_000));
        assertTrue(refused("dynamic-inference", "--table-file", table, "--thresholds-file", huge.toString()).err()
                .contains("larger than"));
        assertTrue(refused("dynamic-inference", "--table-file", table, "--thresholds-file", tmp.toString()).err()
                .contains("is a folder"));
        assertTrue(refused("dynamic-inference", "--table-file", table, "--thresholds-file",
                tmp.resolve("absent.txt").toString()).err().contains("does not exist"));
        assertTrue(refused("dynamic-inference", "--table-file", table, "--sweep", "--budgets", "100000000",
                "--save-dir", tmp.resolve("s").toString()).err().contains("--budgets must lie in [2, 1000]"));
        refused("dynamic-inference", "--table-file", table, "--thresholds", "0", "--patch-size", "0");
        refused("dynamic-inference", "--table-file", table, "--thresholds", "0", "--patch-size", "1000");
        assertTrue(refused("dynamic-inference", "--table-file", table, "--thresholds", "0", "0", "0", "0", "0", "0",
                "0", "0").err().contains("8 thresholds for a table of 6 stages"));
    }

    /** A 30000×1 PNG decodes to 90 KB but would resize to 224 × 6.7 M pixels. */
    static Path thinImage(Path dir, int width, int height) throws Exception {
        Path file = dir.resolve("thin-" + width + "x" + height + ".png");
        ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", file.toFile());
        return file;
    }

    @Test
    void aThinImageIsRefusedBeforeItsResizeWithBoundedMemory() throws Exception {
        Path pkg = ServeTesting.makePackage(tmp.resolve("pkg"));
        List<Path> thin = List.of(thinImage(tmp, 30000, 1), thinImage(tmp, 1, 30000), thinImage(tmp, 10000, 1));
        for (Path image : thin) {
            CliTest.Run r = refused("predict", "--cascade", pkg.toString(), image.toString());
            assertTrue(r.err().contains(image.getFileName().toString()) && r.err().contains("more than the"),
                    r.err());
        }
        // what the refusal costs, counted in bytes this thread allocates (a resize to 224 × 2.2 M pixels would
        // allocate 1.5 GB), so the figure does not depend on the garbage collector's timing
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        try (org.anchornet.engine.Cascade cascade = org.anchornet.engine.Cascade.load(pkg)) {
            for (Path image : thin) {
                org.anchornet.data.RgbImage decoded = org.anchornet.data.ImageDecoder.decode(image);
                long before = threads.getCurrentThreadAllocatedBytes();
                try {
                    cascade.classify(decoded);
                    throw new AssertionError(image + " was classified");
                } catch (org.anchornet.data.Transforms.ImageTooLargeException expected) {
                    // refused
                }
                long allocated = threads.getCurrentThreadAllocatedBytes() - before;
                assertTrue(allocated < 100L << 20, image + ": the refusal allocated " + (allocated >> 20) + " MB");
            }
        }
    }
}
