package org.anchornet.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.anchornet.engine.CascadeConfig;
import org.anchornet.engine.CascadeNetwork;
import org.anchornet.engine.CascadePackage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet package}: separate checkpoints and their settings as one cascade package. */
@Command(name = "package", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write separate checkpoints (the reference's workflow) and the flags that say how to run them as"
                + " one cascade package, which every other command then takes with --cascade alone. Without"
                + " thresholds every image goes through every stage; fit them later with fit-thresholds.")
final class PackageCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CascadeOptions cascade;

    @Option(names = "--out", required = true, paramLabel = "PACKAGE", description = "Where the package goes (a folder,"
            + " or a .zip).")
    Path out;

    @Option(names = "--generated-data", description = "The networks were trained on generated canvases of the input"
            + " size (no resize before the centre crop), as the demo's are.")
    boolean generated;

    @Override
    public Integer call() throws Exception {
        if (cascade.fromPackage()) {
            throw new IllegalArgumentException("--cascade is already a package; copy it, or use fit-thresholds");
        }
        if (cascade.anchorNet == null || cascade.glance == null || cascade.patch == null) {
            throw new IllegalArgumentException("give --pretrained-anchornet, --glance-pretrained and"
                    + " --patch-pretrained");
        }
        CascadeConfig config = cascade.config(null, generated, false);
        Map<CascadeNetwork, Path> files = new EnumMap<>(CascadeNetwork.class);
        files.put(CascadeNetwork.ANCHORNET, cascade.anchorNet);
        files.put(CascadeNetwork.GLANCE, cascade.glance);
        files.put(CascadeNetwork.PATCH, cascade.patch);
        CascadePackage.write(out, config, files);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s: %s, %d classes, %d windows, thresholds %s%n", out, config.arch(), config.numClasses(),
                config.topK(), config.thresholds());
        w.flush();
        return 0;
    }
}
