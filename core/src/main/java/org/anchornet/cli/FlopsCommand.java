package org.anchornet.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.anchornet.model.AnchorNet;
import org.anchornet.model.Architectures;
import org.anchornet.model.CostCounter;
import org.anchornet.model.ReceptiveField;
import org.anchornet.model.TorchModule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import org.anchornet.data.Transforms;

/** {@code anchornet flops}: parameters and multiply-adds of a registered network. */
@Command(name = "flops", mixinStandardHelpOptions = true,
        description = "Print parameters and multiply-adds per image (convolutions and linear layers, as the reference"
                + " counts them).")
final class FlopsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--arch", required = true, description = "Architecture: ${COMPLETION-CANDIDATES}.",
            completionCandidates = ArchNames.class)
    String arch;

    @Option(names = "--input", split = ",", defaultValue = "" + Transforms.DEFAULT_INPUT_SIZE, description = "Square input side(s) in pixels"
            + " (default ${DEFAULT-VALUE}); several may be given: --input 95,224.")
    List<Integer> inputs;

    @Option(names = "--num-classes", defaultValue = "1000", description = "Classifier outputs (default ${DEFAULT-VALUE}).")
    int numClasses;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (int input : inputs) {
            if (input < 1) {
                throw new IllegalArgumentException("--input must be positive, got " + input);
            }
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            TorchModule net = Architectures.get(arch).create(manager, numClasses, 0);
            for (int input : inputs) {
                if (net instanceof AnchorNet anchor) {
                    anchor.receptiveField().featureSize(input); // clear message when the input is too small
                }
                CostCounter.Cost cost = CostCounter.count(net, input);
                out.printf("%s: %.4f M parameters, %.4f G multiply-adds at %d px%n", arch, cost.megaParameters(),
                        cost.gigaMultiplyAdds(), input);
                if (net instanceof AnchorNet anchor) {
                    ReceptiveField rf = anchor.receptiveField();
                    int side = rf.featureSize(input);
                    out.printf("  feature map %d×%d; each cell sees a %d×%d window, %d px apart%n", side, side,
                            rf.size(), rf.size(), rf.stride());
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Completion candidates and help text for {@code --arch}. */
    static final class ArchNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return Architectures.names().iterator();
        }
    }
}
