package org.anchornet.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.anchornet.engine.CascadePackage;
import org.anchornet.torchio.TorchReader;
import org.anchornet.torchio.TorchTensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code anchornet inspect FILE}: what a .pth file holds, read safely. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List what a PyTorch .pth/.pth.tar file holds (keys, dtypes, shapes), without running any code"
                + " from it; or check a cascade package (folder or .zip) and print its configuration.")
final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "A file written by torch.save (zip or legacy format), or a cascade"
            + " package.")
    Path file;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (CascadePackage.isPackage(file)) {
            try (CascadePackage pkg = CascadePackage.read(file)) {
                out.println("cascade package " + file + " (every weight file matches its SHA-256)");
                out.println(CascadePackage.toJson(pkg.config()));
            }
        } else {
            print(out, "", TorchReader.read(file), 0);
        }
        out.flush();
        return 0;
    }

    private static void print(PrintWriter out, String name, Object value, int depth) {
        String indent = "  ".repeat(depth);
        if (value instanceof Map<?, ?> map) {
            out.println(indent + name + (name.isEmpty() ? "" : ": ") + "dict of " + map.size());
            if (depth < 3) {
                map.forEach((k, v) -> print(out, String.valueOf(k), v, depth + 1));
            }
        } else if (value instanceof List<?> list) {
            out.println(indent + name + ": list of " + list.size()
                    + (list.size() <= 8 && list.stream().noneMatch(v -> v instanceof Map || v instanceof TorchTensor)
                            ? " " + list : ""));
        } else if (value instanceof TorchTensor t) {
            out.println(indent + name + ": " + t.dtype().name().toLowerCase() + " " + Arrays.toString(t.shape()));
        } else {
            out.println(indent + name + ": " + value);
        }
    }
}
