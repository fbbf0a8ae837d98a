package org.anchornet.cli;

/** Process-wide settings applied before DJL loads: offline engine, no telemetry probe, quiet logs. */
final class ProcessSettings {
    private ProcessSettings() {}

    static void configure() {
        setDefault("ai.djl.offline", "true");
        setDefault("java.awt.headless", "true");
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setDefault("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
