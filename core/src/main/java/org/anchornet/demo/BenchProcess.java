package org.anchornet.demo;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.anchornet.engine.EngineBenchmark;

/**
 * Runs {@code anchornet bench} in a fresh JVM with this one's class path and JVM options, and reads back its JSON.
 * The demo times the engine this way because the process that has just trained four networks measured both sides
 * slower and unevenly (the engine 1.1–1.2× the baseline in-process, 1.6–1.8× in a fresh process on the same weights
 * and canvases); a fresh process is also what serving looks like. The command line goes to the log so the figure can
 * be reproduced by hand.
 */
final class BenchProcess {
    private static final String MAIN_CLASS = "org.anchornet.cli.AnchorNetCli";

    private BenchProcess() {}

    /**
     * @param benchArgs arguments after {@code bench}; {@code --json} is added
     * @param log where the child's output goes
     * @return the child's figures
     */
    static EngineBenchmark.Result run(List<String> benchArgs, Path json, Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // heap size, GC, a class-data archive to map and -D settings (offline DJL, thread counts); not debugger
            // or profiler agents, nor the launcher's archive dump, which is this process's to write
            if ((option.startsWith("-X") || option.startsWith("-D")) && !option.contains("ArchiveClassesAtExit")) {
                command.add(option);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(MAIN_CLASS);
        command.add("bench");
        command.addAll(benchArgs);
        command.add("--json");
        command.add(json.toString());
        Files.deleteIfExists(json);
        Files.writeString(log, String.join(" ", command) + System.lineSeparator());
        Process child = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        int code;
        try {
            code = child.waitFor();
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while timing the engine", e);
        }
        if (code != 0 || !Files.exists(json)) {
            List<String> lines = Files.readAllLines(log);
            throw new IOException("the timing process failed (exit " + code + "); last lines of " + log + ":\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size())));
        }
        return DemoPipeline.GSON.fromJson(Files.readString(json), EngineBenchmark.Result.class);
    }
}
