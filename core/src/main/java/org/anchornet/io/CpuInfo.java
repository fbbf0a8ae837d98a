package org.anchornet.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The CPU a run measured on, as the report names it: oneDNN picks AVX-512 or AVX2 kernels by what the CPU offers (or
 * by {@code ONEDNN_MAX_CPU_ISA}), and float results and speed differ between them.
 */
public final class CpuInfo {
    private CpuInfo() {}

    public static String describe() {
        String model = "unknown CPU";
        boolean avx512 = false;
        boolean avx2 = false;
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String line : lines) {
                if (line.startsWith("model name") && model.equals("unknown CPU")) {
                    model = line.substring(line.indexOf(':') + 1).strip();
                } else if (line.startsWith("flags")) {
                    avx512 |= line.contains(" avx512f");
                    avx2 |= line.contains(" avx2");
                }
            }
        } catch (IOException e) {
            model = System.getProperty("os.arch");
        }
        String isa = avx512 ? "AVX-512" : avx2 ? "AVX2" : "no AVX2";
        String limit = System.getenv("ONEDNN_MAX_CPU_ISA");
        return model + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + isa
                + (limit != null ? " (oneDNN limited to " + limit + ")" : "");
    }
}
