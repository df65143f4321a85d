package dev.imagebake.cli;

import dev.imagebake.util.DurationText;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.Field;

/**
 * The range a numeric option, or the duration an option names, must fall in. Every command's options are checked
 * by {@link #check} before the command runs, so a value out of range is refused as invalid usage (exit 2) with a
 * message naming the option, the same way for every command.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Bounds {
    double min() default Double.NEGATIVE_INFINITY;

    double max() default Double.POSITIVE_INFINITY;

    /** True when {@link #min} itself is not allowed (a scale of 0, a timeout of 0). */
    boolean aboveMin() default false;

    /** The value is a duration like {@code 30s} or {@code 1h30m}; min and max are in seconds. */
    boolean duration() default false;

    /** Checks the options of every command on the command line; throws picocli's usage error on the first bad one. */
    final class Check {
        private Check() {
        }

        static void check(CommandLine.ParseResult parsed) {
            for (CommandLine line : parsed.asCommandLineList()) {
                for (OptionSpec option : line.getCommandSpec().options()) {
                    if (option.userObject() instanceof Field field && field.getAnnotation(Bounds.class) != null) {
                        String problem = problem(field.getAnnotation(Bounds.class), option.getValue());
                        if (problem != null) {
                            throw new CommandLine.ParameterException(line, "invalid value for option '"
                                    + option.longestName() + "': " + problem);
                        }
                    }
                }
            }
        }

        /** What is wrong with {@code value}, or null when it is within bounds (or not given). */
        static String problem(Bounds bounds, Object value) {
            if (value == null) {
                return null;
            }
            double number;
            if (bounds.duration()) {
                java.time.Duration parsed = DurationText.parse(String.valueOf(value));
                if (parsed == null) {
                    return "'" + value + "' is not a duration; write it like 500ms, 30s, 10m or 1h30m";
                }
                number = parsed.toMillis() / 1000.0;
            } else {
                number = ((Number) value).doubleValue();
                if (Double.isNaN(number) || Double.isInfinite(number)) {
                    return value + " is not a finite number";
                }
            }
            boolean low = bounds.aboveMin() ? number <= bounds.min() : number < bounds.min();
            if (!low && number <= bounds.max()) {
                return null;
            }
            return (bounds.duration() ? value : number(((Number) value).doubleValue())) + " is out of range: "
                    + range(bounds);
        }

        private static String range(Bounds bounds) {
            String unit = bounds.duration() ? " s" : "";
            boolean hasMin = bounds.min() != Double.NEGATIVE_INFINITY;
            boolean hasMax = bounds.max() != Double.POSITIVE_INFINITY;
            if (hasMin && hasMax && bounds.aboveMin()) {
                return "it takes more than " + number(bounds.min()) + unit + " and at most " + number(bounds.max())
                        + unit;
            }
            if (hasMin && hasMax) {
                return "it takes " + number(bounds.min()) + unit + " to " + number(bounds.max()) + unit;
            }
            if (hasMax) {
                return "it takes at most " + number(bounds.max()) + unit;
            }
            return bounds.aboveMin() ? "it takes more than " + number(bounds.min()) + unit
                    : "it takes " + number(bounds.min()) + unit + " or more";
        }

        private static String number(double value) {
            return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
        }
    }
}
