package org.anchornet.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.anchornet.data.ClutteredFashionMnist;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anchornet export-data}: writes Cluttered Fashion-MNIST as an ImageFolder tree. */
@Command(name = "export-data", mixinStandardHelpOptions = true,
        description = "Write the generated Cluttered Fashion-MNIST splits as PNG files in OUT/{train,val,test}/<class>/,"
                + " so any tool that reads ImageFolder trees (and every --data option here) can use them.")
final class ExportDataCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DataOptions data;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--splits", split = ",", defaultValue = "train,val,test", description = "Which splits (default"
            + " ${DEFAULT-VALUE}).")
    List<String> splits;

    @Override
    public Integer call() throws Exception {
        if (!data.generated()) {
            throw new IllegalArgumentException("export-data writes the generated data set; drop --data");
        }
        for (String split : splits) {
            if (!List.of("train", "val", "test").contains(split)) {
                throw new IllegalArgumentException("--splits takes train, val and test, got " + split);
            }
            ClutteredFashionMnist canvases = (ClutteredFashionMnist) data.split(split);
            canvases.export(out.resolve(split));
            spec.commandLine().getOut().printf("%s: %d images%n", out.resolve(split), canvases.size());
        }
        return 0;
    }
}
