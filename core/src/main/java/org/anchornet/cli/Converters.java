package org.anchornet.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.anchornet.exits.RiskControl;
import org.anchornet.exits.ThresholdFitter;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Option converters that say what a value must be, instead of Java's parse errors. */
final class Converters {
    private Converters() {}

    private static double number(String value) {
        try {
            double v = Double.parseDouble(value.strip());
            if (Double.isNaN(v)) {
                throw new TypeConversionException("'" + value + "' is not a number");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number");
        }
    }

    /** Any number, infinities included ('inf', '-inf'), but not NaN. */
    static final class Number implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            String v = value.strip().toLowerCase(Locale.ROOT);
            if (v.equals("inf") || v.equals("+inf")) {
                return Double.POSITIVE_INFINITY;
            }
            if (v.equals("-inf")) {
                return Double.NEGATIVE_INFINITY;
            }
            return number(value);
        }
    }

    /**
     * Values of a many-valued option, converted after parsing: picocli stops taking values at the first it cannot
     * convert and would report "unmatched argument" instead of what is wrong with it.
     */
    static List<Double> each(List<String> raw, String option, ITypeConverter<Double> converter) {
        if (raw == null) {
            return null;
        }
        List<Double> out = new ArrayList<>();
        for (String v : raw) {
            try {
                out.add(converter.convert(v));
            } catch (Exception e) {
                throw new IllegalArgumentException("Invalid value for option '" + option + "': " + e.getMessage());
            }
        }
        return out;
    }

    /** A positive whole number. */
    static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return wholeNumberAtLeast(value, 1);
        }
    }

    /** A whole number, zero or more. */
    static final class NonNegativeInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return wholeNumberAtLeast(value, 0);
        }
    }

    private static int wholeNumberAtLeast(String value, int least) {
        int v;
        try {
            v = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a whole number");
        }
        if (v < least) {
            throw new TypeConversionException("must be at least " + least + ", got " + v);
        }
        return v;
    }

    /** A finite positive number. */
    static final class PositiveDouble implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = number(value);
            if (!(v > 0) || Double.isInfinite(v)) {
                throw new TypeConversionException("must be a positive number, got " + value);
            }
            return v;
        }
    }

    /** A number in [0, 1]. */
    static final class Fraction implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double v = number(value);
            if (v < 0 || v > 1) {
                throw new TypeConversionException("must lie in [0, 1], got " + value);
            }
            return v;
        }
    }

    /** An answer rule: exit-stage or most-confident. */
    static final class AnswerRule implements ITypeConverter<org.anchornet.exits.Answer> {
        @Override
        public org.anchornet.exits.Answer convert(String value) {
            return byName(value, org.anchornet.exits.Answer::parse);
        }
    }

    /** A threshold fit's name: cv (the default), pj, pj-shortened, search, bagged-search or pj-most-confident. */
    static final class FitMethod implements ITypeConverter<ThresholdFitter.Method> {
        @Override
        public ThresholdFitter.Method convert(String value) {
            return byName(value, ThresholdFitter.Method::parse);
        }
    }

    /** What a risk-controlled fit counts as a loss: disagreement or accuracy-loss. */
    static final class RiskKind implements ITypeConverter<RiskControl.Risk> {
        @Override
        public RiskControl.Risk convert(String value) {
            return byName(value, RiskControl.Risk::parse);
        }
    }

    /** A name read by its type's own parser, whose message (it lists the names there are) becomes picocli's. */
    private static <T> T byName(String value, Function<String, T> parse) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** Help text of every --fit option. */
    static final String FIT_HELP = "How thresholds are fit: cv (default: p^j unless cross-validation on the table shows"
            + " a clear held-out gain for another candidate), pj, pj-shortened (p^j on the best number of stages),"
            + " search, bagged-search (the search's thresholds averaged over bootstrap resamples), or"
            + " pj-most-confident (p^j where the most confident stage so far answers).";
}
