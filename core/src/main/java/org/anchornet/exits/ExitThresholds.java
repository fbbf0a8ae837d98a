package org.anchornet.exits;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A cascade's exit thresholds, one per stage, with the {@link Answer} rule whose confidence they test, for the {@link
 * ExitRule}: +∞ where a stage never lets an image leave
 * early, −∞ where every image still in leaves. The first −∞ is the cascade's last stage: later stages never run, and
 * the final stage is −∞ whatever it was given (it takes everyone). Confidences lie in [0, 1], so a negative threshold
 * means −∞.
 *
 * <p>Spellings: on the command line {@code none} (or {@code inf}) for +∞ and {@code all} (or {@code -inf}) for −∞; in
 * {@code cascade.json} numbers with null for "never early", and the last stage recorded by itself.
 */
public final class ExitThresholds {
    private final double[] values;
    private final Answer answer;

    private ExitThresholds(double[] values, Answer answer) {
        this.values = values;
        this.answer = answer;
    }

    /**
     * Thresholds per stage; negative ones become −∞, and so do the final stage and every stage after the first −∞
     * (they never run), so that equal cascades have equal thresholds. The answer is the exit stage's (the paper's).
     */
    public static ExitThresholds of(double... perStage) {
        if (perStage.length == 0) {
            throw new IllegalArgumentException("a cascade has at least one stage");
        }
        double[] t = perStage.clone();
        boolean ended = false;
        for (int j = 0; j < t.length; j++) {
            if (Double.isNaN(t[j])) {
                throw new IllegalArgumentException("threshold of stage " + (j + 1) + " is not a number");
            }
            if (ended || t[j] < 0 || j == t.length - 1) {
                t[j] = Double.NEGATIVE_INFINITY;
                ended = true;
            }
        }
        return new ExitThresholds(t, Answer.EXIT_STAGE);
    }

    /** The same thresholds testing, and answering with, another stage's prediction. */
    public ExitThresholds withAnswer(Answer rule) {
        return new ExitThresholds(values, java.util.Objects.requireNonNull(rule, "answer"));
    }

    /** Whose prediction answers, and whose confidence the thresholds test. */
    public Answer answer() {
        return answer;
    }

    /** No early exit: every image goes through every stage. */
    public static ExitThresholds neverEarly(int stages) {
        double[] t = new double[stages];
        Arrays.fill(t, Double.POSITIVE_INFINITY);
        return of(t);
    }

    /**
     * From {@code cascade.json}: null is "never early"; with {@code lastStage} (1-based, format 2) every image still
     * in leaves there and the entries after it are ignored.
     */
    public static ExitThresholds fromStored(List<Double> stored, Integer lastStage) {
        double[] t = new double[stored.size()];
        for (int j = 0; j < t.length; j++) {
            Double v = stored.get(j);
            t[j] = lastStage != null && j >= lastStage - 1 ? Double.NEGATIVE_INFINITY
                    : v == null ? Double.POSITIVE_INFINITY : v;
        }
        return of(t);
    }

    /** From the command line: numbers, {@code none}/{@code inf} (never early), {@code all}/{@code -inf} (all leave). */
    public static ExitThresholds parse(List<String> words) {
        double[] t = new double[words.size()];
        for (int j = 0; j < t.length; j++) {
            t[j] = parseOne(words.get(j));
        }
        return of(t);
    }

    /**
     * Threshold vectors from a text file, one per line, numbers or {@link #parseOne} words separated by spaces or
     * commas (brackets ignored, {@code #} starts a comment). Vectors may be shorter than a cascade's stages: scoring
     * then stops at their last stage, as the reference script does.
     */
    public static List<double[]> readVectors(Path file) throws IOException {
        List<double[]> vectors = new ArrayList<>();
        int lineNo = 0;
        for (String line : org.anchornet.io.TextFiles.readLines(file, "thresholds file")) {
            lineNo++;
            String s = line.replaceAll("#.*", "").trim();
            if (s.isEmpty()) {
                continue;
            }
            try {
                vectors.add(Arrays.stream(s.replaceAll("[\\[\\],]", " ").trim().split("\\s+"))
                        .mapToDouble(ExitThresholds::parseOne).toArray());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + lineNo + ": not a list of numbers: " + line);
            }
        }
        if (vectors.isEmpty()) {
            throw new IllegalArgumentException(file + ": no threshold vectors");
        }
        return vectors;
    }

    /** One threshold as the command line spells it. */
    public static double parseOne(String word) {
        String w = word.strip().toLowerCase(Locale.ROOT);
        return switch (w) {
            case "none", "null", "inf", "+inf" -> Double.POSITIVE_INFINITY;
            case "all", "-inf" -> Double.NEGATIVE_INFINITY;
            default -> {
                try {
                    double v = Double.parseDouble(w);
                    if (Double.isNaN(v)) {
                        throw new NumberFormatException();
                    }
                    yield v;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + word + "' is not a threshold: a number, none (never"
                            + " early) or all (every image still in leaves)");
                }
            }
        };
    }

    public int stages() {
        return values.length;
    }

    /** The threshold of a stage (0-based). */
    public double get(int stage) {
        return values[stage];
    }

    /** The last stage that runs (0-based): where every image still in leaves. */
    public int lastStage() {
        return ExitRule.lastStage(values);
    }

    public double[] toArray() {
        return values.clone();
    }

    /** As {@code cascade.json} stores them: null for never early and from the last stage on. */
    public List<Double> stored() {
        int last = lastStage();
        List<Double> out = new ArrayList<>();
        for (int j = 0; j < values.length; j++) {
            out.add(j >= last || values[j] == Double.POSITIVE_INFINITY ? null : values[j]);
        }
        return out;
    }

    /** As the command line spells them (the answer rule is {@code --answer}, not part of this). */
    @Override
    public String toString() {
        return Arrays.stream(values).mapToObj(v -> v == Double.POSITIVE_INFINITY ? "none"
                : v == Double.NEGATIVE_INFINITY ? "all" : String.format(Locale.ROOT, "%.6g", v))
                .collect(Collectors.joining(" "));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExitThresholds other && Arrays.equals(values, other.values) && answer == other.answer;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(values) + answer.hashCode();
    }
}
