package org.anchornet.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.anchornet.engine.Cascade;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

/**
 * One cascade per executor JVM, loaded on first use from the package file the driver shipped with the job ({@code
 * SparkContext.addFile}), and shared by every task of that JVM: a loaded model can be shared while inference is
 * serialized on it ({@link Cascade} is synchronized), and loading it per task or partition would cost seconds each.
 * Its intra-op threads are the executor's cores, so the executor uses what it was given and no more (libtorch
 * would otherwise take every core of the host, oversubscribing machines that run several executors).
 */
final class ExecutorCascades {
    private static final Map<String, Cascade> LOADED = new ConcurrentHashMap<>();
    private static final String TORCH_THREADS = "ai.djl.pytorch.num_threads";

    private ExecutorCascades() {}

    /** The cascade shipped under this file name. */
    static Cascade get(String shippedName) {
        return LOADED.computeIfAbsent(shippedName, name -> {
            // read when the engine starts in this JVM; an explicit -Dai.djl.pytorch.num_threads wins
            if (System.getProperty(TORCH_THREADS) == null) {
                System.setProperty(TORCH_THREADS, Integer.toString(executorCores(SparkEnv.get().conf())));
            }
            try {
                return Cascade.load(Path.of(SparkFiles.get(name)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the cascade package " + name + ": " + e.getMessage(), e);
            }
        });
    }

    /** The cores this executor was given: spark.executor.cores, or N of a local[N] master, else the host's. */
    static int executorCores(SparkConf conf) {
        if (conf.contains("spark.executor.cores")) {
            return conf.getInt("spark.executor.cores", 1);
        }
        var local = java.util.regex.Pattern.compile("local\\[(\\d+)(,\\d+)?]").matcher(conf.get("spark.master", ""));
        return local.matches() ? Integer.parseInt(local.group(1)) : Runtime.getRuntime().availableProcessors();
    }

    /** How many cascades this JVM has loaded (tests check it stays one per package). */
    static int loaded() {
        return LOADED.size();
    }
}
