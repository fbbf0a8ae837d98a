package org.anchornet.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.anchornet.data.BatchLoader;
import org.anchornet.data.ImageDataset;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.ExitTableMaker;
import org.anchornet.exits.ExitTable;
import org.anchornet.io.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet make-table}: confidence and correctness of every stage for every image of a split. */
@Command(name = "make-table", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the glance and the top-k windows on every image of a split and save the exit table"
                + " (reference keys setup/thresholds/predictions plus classes, labels, stage costs and setup).")
final class MakeTableCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DataOptions data;
    @Mixin CascadeOptions cascade;

    @Option(names = "--split", defaultValue = "val", description = "val or test (default ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--save-dir", defaultValue = "result", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path saveDir;

    @Option(names = "--batch-size", defaultValue = "32", converter = Converters.PositiveInt.class,
            description = "Images per batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--quiet", description = "No progress bar (one is drawn only on a terminal).")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (!split.equals("val") && !split.equals("test")) {
            throw new IllegalArgumentException("--split must be val or test, got " + split);
        }
        PrintWriter out = spec.commandLine().getOut();
        ImageDataset images = data.split(split);
        ExitTable table;
        String arch;
        int patchSize;
        try (Cascade c = cascade.open(images.classNames(), data.generated(), false)) {
            table = make(c, images, out);
            arch = c.config().arch();
            patchSize = c.config().patchSize();
        }
        Path file = saveDir.resolve(String.format(Locale.ROOT, "%s_%d_%s.pth", arch, patchSize, split));
        table.write(file);
        out.printf(Locale.ROOT, "wrote %s: %d images × %d stages; stage accuracies:", file, table.images(),
                table.stages());
        for (int j = 0; j < table.stages(); j++) {
            out.printf(Locale.ROOT, " %.4f", table.stageAccuracy(j));
        }
        out.println();
        out.flush();
        return 0;
    }

    private ExitTable make(Cascade c, ImageDataset images, PrintWriter log) {
        try (BatchLoader loader = new BatchLoader(images, (img, r) -> c.preprocess(img),
                        new BatchLoader.Options(batchSize, data.workers(), 4, data.strict, false),
                        msg -> log.println("warning: " + msg));
                ProgressBar bar = Progress.bar("make-table " + split, images.size(), !quiet)) {
            return c.exitTable(loader, ExitTableMaker.metadata(c.config()), done -> {
                if (bar != null) {
                    bar.stepTo(done);
                }
            }, null);
        }
    }
}
