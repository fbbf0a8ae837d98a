package org.anchornet.spark;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadePackage;
import org.anchornet.engine.ExitTableMaker;
import org.anchornet.exits.ExitTable;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code anchornet spark-classify}, also the main class for {@code spark-submit}: runs {@link ClassifyJob} in Spark's
 * local mode on this machine, or on a cluster with {@code --master}.
 */
@Command(name = "spark-classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Classify a collection of images with the early-exit cascade on Apache Spark and write one row"
                + " per image (path, class, class_index, confidence, exit_stage, multiply_adds, stage_predictions,"
                + " windows, label, error) as Parquet or JSON lines. With --all-stages write the exit-table rows"
                + " instead, and with --table gather them into a .pth table for dynamic-inference and fit-thresholds.",
            "Runs in local mode by default; --master spark://HOST:PORT runs the same job on a standalone cluster."})
public final class SparkClassify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--cascade", required = true, paramLabel = "PACKAGE", description = "The cascade package (folder"
            + " or .zip); shipped to the executors with the job.")
    Path cascade;

    @Option(names = "--input", required = true, description = "An ImageFolder tree (root/<class>/<image>; labels"
            + " from the folders) or, with --list, a text file of image paths; any Hadoop file system URI.")
    String input;

    @Option(names = "--list", description = "--input is a text file with one image path (URI) per line.")
    boolean list;

    @Option(names = "--out", required = true, description = "Output folder (replaced if it exists).")
    String out;

    @Option(names = "--format", defaultValue = "parquet", description = "parquet or json (JSON lines; default"
            + " ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--all-stages", description = "Write every stage's confidence and prediction (exit-table rows).")
    boolean allStages;

    @Option(names = "--table", description = "With --all-stages: also gather the rows into this .pth exit table.")
    Path table;

    @Option(names = "--master", defaultValue = "local[*,2]", description = "Spark master (default ${DEFAULT-VALUE}:"
            + " every core of this machine, a failed task tried once more).")
    String master;

    @Option(names = "--batch-size", defaultValue = "32", description = "Images per batch on an executor (default"
            + " ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--partitions", defaultValue = "0", description = "Partitions of the image list (default: twice"
            + " the cluster's cores).")
    int partitions;

    @Option(names = "--strict", description = "Fail the job on a damaged image instead of listing it.")
    boolean strict;

    @Option(names = "--conf", description = "Extra Spark settings, KEY=VALUE (repeatable).")
    List<String> conf = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (table != null && !allStages) {
            throw new IllegalArgumentException("--table gathers exit-table rows: add --all-stages");
        }
        PrintWriter log = spec.commandLine().getOut();
        SparkSession.Builder builder = SparkSession.builder().appName("anchornet spark-classify").master(master)
                .config("spark.ui.enabled", "false");
        for (String kv : conf) {
            int eq = kv.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("--conf takes KEY=VALUE, got " + kv);
            }
            builder.config(kv.substring(0, eq), kv.substring(eq + 1));
        }
        try (SparkSession spark = builder.getOrCreate()) {
            spark.sparkContext().addSparkListener(new Progress(log));
            ClassifyJob.Settings settings = new ClassifyJob.Settings(cascade, input, list, out, format, allStages,
                    batchSize, partitions, strict, spark.conf().getOption("spark.anchornet.test.failOnce")
                            .getOrElse(() -> null));
            long t0 = System.nanoTime();
            ClassifyJob.Result r = ClassifyJob.run(spark, settings);
            double seconds = (System.nanoTime() - t0) / 1e9;
            log.printf(Locale.ROOT, "%d images (%d damaged) in %.1f s, %.1f images/s; wrote %s (%s)%n", r.images(),
                    r.damaged(), seconds, r.images() / seconds, r.out(), format);
            if (table != null) {
                writeTable(spark, r);
                log.printf("wrote the exit table %s%n", table);
            }
            log.flush();
        }
        return 0;
    }

    /** Gathers the written exit-table rows (sorted by path) into the reference's .pth table. */
    private void writeTable(SparkSession spark, ClassifyJob.Result r) throws Exception {
        var read = format.equals("json") ? spark.read().schema(JobRows.STAGES).json(out)
                : spark.read().parquet(out);
        List<Row> rows = read.filter("error IS NULL").orderBy("path").collectAsList();
        if (rows.isEmpty()) {
            throw new IllegalStateException("no image could be read, so there is no table to write");
        }
        CascadeConfig config;
        try (CascadePackage pkg = CascadePackage.read(cascade)) {
            config = pkg.config();
        }
        int n = rows.size();
        int k = config.stages();
        float[][] conf = new float[k][n];
        int[][] pred = new int[k][n];
        boolean[][] correct = new boolean[k][n];
        long[] labels = new long[n];
        boolean labelled = true;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Row row = rows.get(i);
            List<Float> c = row.getList(row.fieldIndex("confidences"));
            List<Integer> p = row.getList(row.fieldIndex("predicted_classes"));
            Object label = row.get(row.fieldIndex("label"));
            labelled &= label != null;
            labels[i] = label == null ? -1 : ((Number) label).longValue();
            ids.add(row.getString(row.fieldIndex("path")));
            for (int j = 0; j < k; j++) {
                conf[j][i] = c.get(j);
                pred[j][i] = p.get(j);
                correct[j][i] = label != null && pred[j][i] == labels[i];
            }
        }
        ExitTable.Metadata base = ExitTableMaker.metadata(config);
        ExitTable.Metadata meta = new ExitTable.Metadata(base.setup(), base.arch(), base.patchSize(),
                base.iouThresholds(), base.stageCosts(), ids);
        new ExitTable(conf, correct, pred, labelled ? labels : null, meta).write(table);
    }

    /** The driver's progress: tasks finished of those submitted. */
    static final class Progress extends SparkListener {
        private final PrintWriter log;
        private final AtomicInteger submitted = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();

        Progress(PrintWriter log) {
            this.log = log;
        }

        @Override
        public void onStageSubmitted(SparkListenerStageSubmitted stage) {
            submitted.addAndGet(stage.stageInfo().numTasks());
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd task) {
            boolean ok = task.taskInfo().successful();
            int finished = ok ? done.incrementAndGet() : done.get();
            int lost = ok ? failed.get() : failed.incrementAndGet();
            synchronized (log) {
                log.printf("tasks: %d of %d done%s%n", finished, submitted.get(), lost > 0 ? ", " + lost
                        + " failed" : "");
                log.flush();
            }
        }
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command with one-line errors, as the main CLI has. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new SparkClassify());
        cli.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("error: " + Optional.ofNullable(e.getMessage()).orElse(e.toString()));
            if (!(e instanceof IllegalArgumentException || e instanceof java.io.IOException)) {
                e.printStackTrace(c.getErr());
            }
            return 2;
        });
        return cli;
    }
}
