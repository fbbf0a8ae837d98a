// Time each stage of a cascade on one image at a time (batch 1), every stage run: what a request costs a server at
// concurrency 1. Run from the project root after a build:
//   java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -cp "core/target/anchornet.jar:core/target/lib/*" \
//     scripts/StageTimes.java CASCADE IMAGE_DIR [IMAGES]
// Prints the mean milliseconds per stage over IMAGES images (default 40), after one untimed pass over them.
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.anchornet.data.ImageDecoder;
import org.anchornet.data.ImageFolder;
import org.anchornet.engine.Cascade;
import org.anchornet.engine.EarlyExitEngine;

public class StageTimes {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: StageTimes CASCADE IMAGE_DIR [IMAGES]");
            System.exit(2);
        }
        int count = args.length > 2 ? Integer.parseInt(args[2]) : 40;
        try (Cascade cascade = Cascade.load(Path.of(args[0]))) {
            List<Path> files;
            try (var walk = Files.walk(Path.of(args[1]))) {
                files = walk.filter(ImageFolder::isImageFile).sorted().limit(count).toList();
            }
            int side = cascade.config().inputSize();
            int stages = cascade.engine().stages();
            double[] total = new double[stages];
            for (int pass = 0; pass < 2; pass++) {
                for (Path file : files) {
                    float[] x = cascade.preprocess(ImageDecoder.decode(Files.readAllBytes(file), file.toString()));
                    try (NDManager m = NDManager.newBaseManager()) {
                        var flight = cascade.engine().begin(m.create(x, new Shape(1, 3, side, side)), List.of(0));
                        for (int s = 0; s < stages && flight.size() > 0; s++) {
                            long start = System.nanoTime();
                            flight = cascade.engine().step(flight, org.anchornet.engine.ExitPolicy.never()).survivors();
                            if (pass == 1) {
                                total[s] += (System.nanoTime() - start) / 1e6;
                            }
                        }
                    }
                }
            }
            StringBuilder line = new StringBuilder();
            for (int s = 0; s < stages; s++) {
                line.append(String.format(java.util.Locale.ROOT, "stage %d %.1f ms%s", s + 1, total[s] / files.size(), s + 1 < stages ? " | " : ""));
            }
            System.out.println(line + "  (batch 1, mean of " + files.size() + " images; stage 2 includes AnchorNet)");
        }
    }
}
