package org.anchornet.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.anchornet.demo.DemoSettings;
import org.anchornet.demo.SeedRuns;
import org.anchornet.exits.ThresholdFitter;
import org.anchornet.io.AtomicFiles;
import picocli.CommandLine.Option;

/**
 * The options of the whole pipeline, the same for {@code demo} (generated canvases) and {@code train} (a user's
 * ImageFolder tree): one spelling for each, and one place that turns them into {@link DemoSettings}.
 */
final class PipelineOptions {
    @Option(names = "--preset", defaultValue = "standard", description = "standard, converged or quick (default"
            + " ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--quick", description = "Same as --preset quick.")
    boolean quick;

    @Option(names = "--seeds", split = ",", description = "Run each seed in OUT/seed-N and aggregate the report"
            + " (mean ± standard deviation), e.g. 0,1,2 (default: --seed).")
    List<Long> seeds;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialization, order and augmentation (and"
            + " of the generated training canvases); the test images stay the same (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--fresh", description = "Delete OUT first instead of resuming the run in it.")
    boolean fresh;

    @Option(names = "--arch", description = "Downstream architecture (default resnet18).",
            completionCandidates = FlopsCommand.ArchNames.class)
    String arch;

    @Option(names = "--patch-recipe", description = "How the patch network is fine-tuned:"
            + " paper (each window alone, as published; the default of the standard and quick presets) or stages (the paper's network refined on the"
            + " running sums with the glance that the cascade scores, with soft targets from the full-resolution"
            + " network, at a tenth of the rate with one more epoch of patience, kept only where it beats the"
            + " paper's on validation) or stages-cross-fit (the same refinement, with each training canvas's glance"
            + " logits from one of two glance networks fine-tuned without its half of the training canvases; the"
            + " converged preset's default).")
    String patchRecipe;
    @Option(names = "--patch-extra-patience", converter = Converters.NonNegativeInt.class, description = "Epochs of"
            + " patience the patch network and its refinement get beyond the other networks' when training until"
            + " validation stops improving (default 0).")
    Integer patchExtraPatience;

    @Option(names = "--fit", converter = Converters.FitMethod.class, description = Converters.FIT_HELP
            + " Recorded in the summary; a finished run given another fit is refit from its saved tables.")
    ThresholdFitter.Method fit;

    @Option(names = "--resolutions", split = ",", description = "Input sides of the resolution-scaled baselines"
            + " (default 128,160; converged preset 128,160,192; 'none' for no such baseline).")
    List<String> resolutions;
    @Option(names = "--budget-fraction", converter = Converters.Fraction.class, description = "Budget as a share of"
            + " the baseline's multiply-adds (default 0.48: under the 50%% goal with room for validation-to-test"
            + " drift; converged preset 0.43, under issue 22's 45%% with the same room).")
    Double budgetFraction;
    @Option(names = "--budget-ms", converter = Converters.PositiveDouble.class, paramLabel = "MS", description = "Fit"
            + " thresholds under this many milliseconds per image on this machine instead of a share of the"
            + " multiply-adds: once the networks are trained, every stage is timed in a fresh process (bench"
            + " --stage-times, written to OUT/stage-times.json) and the package records the budget and the times.")
    Double budgetMs;
    @Option(names = "--workers", converter = Converters.PositiveInt.class, description = "Image threads (default:"
            + " cores − 1).")
    Integer workers;
    @Option(names = "--quiet", description = "No progress bars (they are drawn only on a terminal).")
    boolean quiet;

    /** The preset with every option given applied, writing to {@code out}. */
    DemoSettings.Builder settings(Path out) {
        DemoSettings.Builder d = switch (quick ? "quick" : preset) {
            case "standard" -> DemoSettings.standard();
            case "converged" -> DemoSettings.converged();
            case "quick" -> DemoSettings.quick();
            default -> throw new IllegalArgumentException("--preset must be standard, converged or quick, got "
                    + preset);
        };
        d.outDir(out).progress(!quiet);
        Optional.ofNullable(arch).ifPresent(d::arch);
        if (budgetFraction != null && budgetMs != null) {
            throw new IllegalArgumentException("give --budget-fraction or --budget-ms, not both: one budget is fit");
        }
        Optional.ofNullable(budgetFraction).ifPresent(d::budgetFraction);
        d.budgetMs(budgetMs);
        Optional.ofNullable(workers).ifPresent(d::workers);
        Optional.ofNullable(patchRecipe).map(DemoSettings.PatchRecipe::parse).ifPresent(d::patchRecipe);
        Optional.ofNullable(patchExtraPatience).ifPresent(d::patchExtraPatience);
        Optional.ofNullable(fit).ifPresent(f -> d.fit(f.key()));
        if (resolutions != null) {
            d.resolutions(resolutions.equals(List.of("none")) ? List.of()
                    : resolutions.stream().map(Integer::valueOf).toList());
        }
        return d;
    }

    /** Runs every seed (after deleting the folder with {@code --fresh}) and aggregates them. */
    void run(DemoSettings settings, java.io.PrintWriter out) throws java.io.IOException {
        if (fresh) {
            AtomicFiles.deleteTree(settings.outDir());
        }
        SeedRuns.run(settings, seeds != null ? seeds : List.of(seed), out);
    }
}
