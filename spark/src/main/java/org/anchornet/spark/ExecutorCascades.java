package org.anchornet.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.anchornet.engine.Cascade;
import org.apache.spark.SparkFiles;

/**
 * One cascade per executor JVM, loaded on first use from the package file the driver shipped with the job ({@code
 * SparkContext.addFile}), and shared by every task of that JVM: a loaded model can be shared while inference is
 * serialized on it ({@link Cascade} is synchronized), and loading it per task or partition would cost seconds each.
 */
final class ExecutorCascades {
    private static final Map<String, Cascade> LOADED = new ConcurrentHashMap<>();

    private ExecutorCascades() {}

    /** The cascade shipped under this file name. */
    static Cascade get(String shippedName) {
        return LOADED.computeIfAbsent(shippedName, name -> {
            try {
                return Cascade.load(Path.of(SparkFiles.get(name)));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the cascade package " + name + ": " + e.getMessage(), e);
            }
        });
    }

    /** How many cascades this JVM has loaded (tests check it stays one per package). */
    static int loaded() {
        return LOADED.size();
    }
}
