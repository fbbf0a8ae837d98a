package org.anchornet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.anchornet.engine.Prediction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real distribution: a Spark standalone master and two workers started on loopback from the Maven-provided Spark
 * jars (no downloaded distribution), each worker launching its own executor JVM; the job's output equals the
 * single-machine answers image for image.
 */
class StandaloneClusterTest {
    @TempDir Path tmp;

    private static final List<String> OPENS = List.of("java.lang", "java.lang.invoke", "java.lang.reflect", "java.io",
            "java.net", "java.nio", "java.util", "java.util.concurrent", "java.util.concurrent.atomic", "sun.nio.ch",
            "sun.nio.cs", "sun.security.action", "sun.util.calendar").stream()
            .map(p -> "--add-opens=java.base/" + p + "=ALL-UNNAMED").toList();

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Process start(String name, List<String> args, Map<String, String> env) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx512m"));
        command.addAll(OPENS);
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        command.addAll(args);
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(tmp.resolve(name + ".log").toFile());
        b.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        b.environment().putAll(env);
        return b.start();
    }

    @Test
    void aMasterAndTwoWorkersOnLoopbackGiveTheSameAnswersAsOneMachine() throws Exception {
        Path pkg = SparkJobFixture.cascade(tmp);
        Path root = SparkJobFixture.images(tmp, 16);
        Map<String, Prediction> direct = SparkJobFixture.direct(pkg, root);
        int port = freePort();
        int ui = freePort();
        List<Process> cluster = new ArrayList<>();
        try {
            cluster.add(start("master", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                    "--port", Integer.toString(port), "--webui-port", Integer.toString(ui)), Map.of()));
            for (int w = 1; w <= 2; w++) {
                // a worker builds each executor's command from a Spark home; without a distribution these two say
                // there is none to look for (the executors get their class path from the job)
                cluster.add(start("worker" + w, List.of("org.apache.spark.deploy.worker.Worker",
                        "spark://127.0.0.1:" + port, "--host", "127.0.0.1", "--cores", "1", "--memory", "2g",
                        "--webui-port", "0", "--work-dir", tmp.resolve("work" + w).toString()),
                        Map.of("SPARK_TESTING", "1", "SPARK_SCALA_VERSION", "2.13")));
            }
            awaitWorkers(ui, 2);
            Path out = tmp.resolve("out");
            List<String> args = SparkJobFixture.args(pkg, root, out, "--format", "json", "--partitions", "4",
                    "--master", "spark://127.0.0.1:" + port,
                    "--conf", "spark.executor.extraClassPath=" + System.getProperty("java.class.path"),
                    "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", OPENS) + " -Dai.djl.offline=true",
                    "--conf", "spark.executor.memory=1500m", "--conf", "spark.executor.cores=1",
                    "--conf", "spark.cores.max=2", "--conf", "spark.executorEnv.DJL_OFFLINE=true",
                    "--conf", "spark.executorEnv.OPT_OUT_TRACKING=true", "--conf", "spark.driver.host=127.0.0.1");
            SparkJobFixture.Run r = SparkJobFixture.run(args);
            assertEquals(0, r.code(), r.err() + "\n" + r.out());
            var rows = SparkJobFixture.jsonRows(out);
            assertEquals(16, rows.size());
            SparkJobFixture.assertSameAs(direct, rows);
            for (int w = 1; w <= 2; w++) {
                try (Stream<Path> apps = Files.list(tmp.resolve("work" + w))) {
                    assertTrue(apps.anyMatch(Files::isDirectory), "worker " + w + " ran an executor for the job");
                }
            }
        } finally {
            for (Process p : cluster) {
                p.destroy();
            }
            for (Process p : cluster) {
                p.waitFor();
            }
        }
    }

    private static void awaitWorkers(int ui, int count) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + "/json/"))
                        .build(), HttpResponse.BodyHandlers.ofString()).body();
                if (json.split("\"state\" : \"ALIVE\"", -1).length - 1 >= count) {
                    return;
                }
            } catch (IOException e) {
                // the master is still starting
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the master never saw " + count + " workers");
    }
}
