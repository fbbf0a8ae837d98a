package org.anchornet.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.anchornet.data.ImageBatch;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.ImageFolder;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.Prediction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * The early-exit cascade over a collection of images on Spark. The driver lists the images (Spark's binary-file
 * source over an ImageFolder tree, or a text file of paths), ships the cascade package with the job, and spreads the
 * paths over partitions; each executor reads and decodes its partition's images through Hadoop's file systems, runs
 * them through the cascade in batches (one cascade per executor JVM), and writes one row per image with Spark's own
 * committers (Parquet or JSON lines), so a retried task or a rerun leaves no duplicates or half files. A damaged image
 * is counted and written with its error instead of failing the job, unless the job is strict.
 */
public final class ClassifyJob {
    /** What to run and where to write it. */
    public record Settings(Path cascade, String input, boolean inputIsList, String out, String format,
            boolean allStages, int batchSize, int partitions, boolean strict, String failOnceMarker) {
        public Settings {
            if (!format.equals("parquet") && !format.equals("json")) {
                throw new IllegalArgumentException("the format is parquet or json, got " + format);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("the batch size must be positive");
            }
        }
    }

    /** What the job did. */
    public record Result(long images, long damaged, List<String> classes, String out) {}

    private static final StructType PATH_SCHEMA = new StructType().add("path", DataTypes.StringType, false);

    private ClassifyJob() {}

    public static Result run(SparkSession spark, Settings s) throws IOException {
        Path shipped = ship(s.cascade());
        String shippedName = shipped.getFileName().toString();
        spark.sparkContext().addFile(shipped.toUri().toString());
        List<String> classes = s.inputIsList() ? List.of() : classFolders(spark, s.input());
        int partitions = s.partitions() > 0 ? s.partitions() : 2 * spark.sparkContext().defaultParallelism();
        Dataset<Row> paths = s.inputIsList() ? listedPaths(spark, s.input(), partitions)
                : folderPaths(spark, s.input(), partitions);
        LongAccumulator images = spark.sparkContext().longAccumulator("images");
        LongAccumulator damaged = spark.sparkContext().longAccumulator("damaged");
        Partition work = new Partition(shippedName, normalizedRoot(s.input(), s.inputIsList()), classes, s.allStages(),
                s.batchSize(), s.strict(), s.failOnceMarker(), images, damaged);
        Dataset<Row> rows = paths.mapPartitions(work, Encoders.row(s.allStages() ? JobRows.STAGES
                : JobRows.PREDICTION));
        var writer = rows.write().mode(SaveMode.Overwrite);
        if (s.format().equals("json")) {
            writer.json(s.out());
        } else {
            writer.parquet(s.out());
        }
        return new Result(images.value(), damaged.value(), classes, s.out());
    }

    /**
     * The images of a folder tree, listed by the binary-file source's file index on the driver (which holds every
     * file's status anyway) and cut into contiguous slices: one stage, where scanning the source and repartitioning
     * took a second job and a shuffle.
     */
    private static Dataset<Row> folderPaths(SparkSession spark, String input, int partitions) {
        String[] files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(input)
                .inputFiles();
        Pattern images = Pattern.compile(extensionPattern());
        List<Row> rows = Arrays.stream(files).filter(f -> images.matcher(f.toLowerCase(Locale.ROOT))
                .matches()).sorted().map(RowFactory::create).toList();
        var rdd = new JavaSparkContext(spark.sparkContext()).parallelize(rows,
                Math.max(1, Math.min(partitions, rows.size())));
        return spark.createDataFrame(rdd, PATH_SCHEMA);
    }

    /** The images of a text file of paths (read by the executors: a list may be longer than the driver holds). */
    private static Dataset<Row> listedPaths(SparkSession spark, String list, int partitions) {
        return spark.read().textFile(list).toDF("path")
                .filter(functions.length(functions.trim(functions.col("path"))).gt(0))
                .filter(functions.lower(functions.col("path")).rlike(extensionPattern()))
                .repartition(partitions, functions.col("path"));
    }

    /**
     * The package as one zip file, which executors fetch and load once per JVM. Its name carries a hash of the
     * package's configuration (which holds its weights' SHA-256), so that a JVM that ran another cascade's job, as a
     * local-mode driver or a long-lived executor does, loads this one instead of reusing the other.
     */
    private static Path ship(Path cascade) throws IOException {
        try (CascadePackage pkg = CascadePackage.read(cascade)) {
            String hash = CascadePackage.sha256(CascadePackage.toJson(pkg.config()));
            String name = "anchornet-cascade-" + hash.substring(0, 16) + ".zip";
            Path zip = Files.createTempDirectory("anchornet-ship-").resolve(name);
            pkg.copyTo(zip, pkg.config());
            zip.toFile().deleteOnExit();
            return zip;
        }
    }

    /** The class folders of an ImageFolder tree, sorted as torchvision sorts them. */
    private static List<String> classFolders(SparkSession spark, String root) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(root);
        FileSystem fs = dir.getFileSystem(conf);
        if (!fs.exists(dir)) {
            throw new IOException(root + ": no such folder");
        }
        List<String> classes = new ArrayList<>();
        for (FileStatus st : fs.listStatus(dir)) {
            if (st.isDirectory()) {
                classes.add(st.getPath().getName());
            }
        }
        classes.sort(null);
        return classes;
    }

    private static String normalizedRoot(String input, boolean list) {
        if (list) {
            return null;
        }
        String uri = new org.apache.hadoop.fs.Path(input).toUri().getPath();
        return uri.endsWith("/") ? uri : uri + "/";
    }

    private static String extensionPattern() {
        Set<String> ext = ImageFolder.EXTENSIONS;
        return ".*(" + String.join("|", ext.stream().map(e -> "\\" + e).toList()) + ")$";
    }

    /** What each task runs on its partition of paths. */
    static final class Partition implements MapPartitionsFunction<Row, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final String shipped;
        private final String root;
        private final List<String> classes;
        private final boolean allStages;
        private final int batchSize;
        private final boolean strict;
        private final String failOnceMarker;
        private final LongAccumulator images;
        private final LongAccumulator damaged;

        Partition(String shipped, String root, List<String> classes, boolean allStages, int batchSize, boolean strict,
                String failOnceMarker, LongAccumulator images, LongAccumulator damaged) {
            this.shipped = shipped;
            this.root = root;
            this.classes = List.copyOf(classes);
            this.allStages = allStages;
            this.batchSize = batchSize;
            this.strict = strict;
            this.failOnceMarker = failOnceMarker;
            this.images = images;
            this.damaged = damaged;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) throws Exception {
            failOnceIfAsked();
            Cascade cascade = ExecutorCascades.get(shipped);
            Configuration conf = new Configuration();
            List<Row> out = new ArrayList<>();
            List<String> batchPaths = new ArrayList<>();
            List<float[]> batch = new ArrayList<>();
            while (input.hasNext()) {
                String path = input.next().getString(0).strip();
                float[] image = read(cascade, conf, path, out);
                if (image != null) {
                    batchPaths.add(path);
                    batch.add(image);
                }
                if (batch.size() == batchSize || (!input.hasNext() && !batch.isEmpty())) {
                    classify(cascade, batchPaths, batch, out);
                    batchPaths.clear();
                    batch.clear();
                }
            }
            if (!batch.isEmpty()) {
                classify(cascade, batchPaths, batch, out);
            }
            return out.iterator();
        }

        /** The image decoded and preprocessed, or null after writing its error row. */
        private float[] read(Cascade cascade, Configuration conf, String path, List<Row> out) {
            images.add(1);
            try {
                org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(URI.create(path));
                byte[] bytes;
                try (InputStream in = p.getFileSystem(conf).open(p)) {
                    bytes = in.readAllBytes();
                }
                return cascade.preprocess(ImageDecoder.decode(bytes, path));
            } catch (IOException | IllegalArgumentException e) {
                if (strict) {
                    throw new UncheckedIOException(new IOException("strict: " + e.getMessage(), e));
                }
                damaged.add(1);
                out.add(JobRows.failed(allStages, path, e.getMessage(), label(path), labelName(path)));
                return null;
            }
        }

        private void classify(Cascade cascade, List<String> paths, List<float[]> batch, List<Row> out) {
            ImageBatch images = ImageBatch.pack(batch, cascade.config().inputSize());
            List<Prediction> predictions = allStages ? cascade.trace(images) : cascade.classify(images);
            for (int i = 0; i < paths.size(); i++) {
                String path = paths.get(i);
                out.add(allStages ? JobRows.stages(path, predictions.get(i), label(path), labelName(path))
                        : JobRows.prediction(path, predictions.get(i), cascade.config(), label(path),
                                labelName(path)));
            }
        }

        private String labelName(String path) {
            if (root == null) {
                return null;
            }
            String p = URI.create(path).getPath();
            if (!p.startsWith(root)) {
                return null;
            }
            String rest = p.substring(root.length());
            int slash = rest.indexOf('/');
            return slash > 0 ? rest.substring(0, slash) : null;
        }

        private Integer label(String path) {
            String name = labelName(path);
            int index = name == null ? -1 : classes.indexOf(name);
            return index >= 0 ? index : null;
        }

        /** Test-only fault switch: the first attempt of partition 0 fails once, as a lost executor would. */
        private void failOnceIfAsked() throws IOException {
            TaskContext task = TaskContext.get();
            if (failOnceMarker == null || task == null || task.partitionId() != 0 || task.attemptNumber() > 0) {
                return;
            }
            Path marker = Path.of(failOnceMarker);
            if (!Files.exists(marker)) {
                Files.writeString(marker, "failed once\n");
                throw new IllegalStateException("injected failure (test fault switch) in partition 0, attempt 0");
            }
        }
    }

    /** The lower-case extension set ImageFolder lists (for messages). */
    static String extensions() {
        return String.join(", ", ImageFolder.EXTENSIONS.stream().sorted().map(e -> e.toLowerCase(Locale.ROOT))
                .toList());
    }
}
