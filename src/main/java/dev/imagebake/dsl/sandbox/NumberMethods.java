package dev.imagebake.dsl.sandbox;

import org.codehaus.groovy.runtime.InvokerHelper;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Arithmetic for templates, bounded by the size of the numbers involved. Big-number operations in the JDK cannot be
 * interrupted, so each one is refused beforehand when its operands or its result would be over {@link #MAX_BITS}.
 */
final class NumberMethods {
    static final double BITS_PER_DIGIT = Math.log(10) / Math.log(2);
    /** The largest number a template may compute with, in bits (a BigDecimal's scale counts, as 10^scale). */
    private static final long MAX_BITS = 1_000_000;
    /** Longest text parsed as a BigInteger or BigDecimal: the JDK takes time quadratic in the digits. */
    private static final int MAX_NUMBER_TEXT = 100_000;

    private NumberMethods() {
    }

    static Object call(Number n, String method, Object[] args, Guard guard) {
        Object arg = args.length > 0 ? args[0] : null;
        double bits = switch (method) {
            case "power" -> arg instanceof Number exponent ? Math.abs(exponent.doubleValue()) * growth(n) : 0;
            case "multiply" -> isBig(n) || isBig(arg) ? bits(n) + (arg instanceof Number m ? bits(m) : 0) : 0;
            case "leftShift" -> n instanceof BigInteger && arg instanceof Number shift
                    ? bits(n) + Math.abs(shift.doubleValue()) : 0;
            case "setScale", "round", "trunc" -> n instanceof BigDecimal d && arg instanceof Number scale
                    ? bits(d) + Math.abs(scale.doubleValue() - d.scale()) * BITS_PER_DIGIT : 0;
            default -> 0;
        };
        if (bits > MAX_BITS) {
            throw SandboxRuntime.limit("the result of `" + method + "` would have about " + (long) bits
                    + " bits, over the limit of " + MAX_BITS, guard);
        }
        // times, upto, downto and step call a closure each round, which checks the guard
        return InvokerHelper.invokeMethod(n, method, args);
    }

    /** Refuses a number too big to compute with. */
    static void check(Number n, Guard guard) {
        if (isBig(n) && bits(n) > MAX_BITS) {
            throw SandboxRuntime.limit("a number of about " + (long) bits(n) + " bits is over the limit of "
                    + MAX_BITS, guard);
        }
    }

    static void checkParse(CharSequence text, Guard guard) {
        if (text.length() > MAX_NUMBER_TEXT) {
            throw SandboxRuntime.limit("a number written with " + text.length() + " characters is over the limit of "
                    + MAX_NUMBER_TEXT, guard);
        }
    }

    private static boolean isBig(Object n) {
        return n instanceof BigInteger || n instanceof BigDecimal;
    }

    /** The size of a number: a BigDecimal counts its scale too, which additions and conversions expand. */
    private static double bits(Number n) {
        if (n instanceof BigInteger b) {
            return b.bitLength();
        } else if (n instanceof BigDecimal d) {
            return d.unscaledValue().bitLength() + Math.abs((double) d.scale()) * BITS_PER_DIGIT;
        } else if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
            return 64 - Long.numberOfLeadingZeros(Math.abs(n.longValue()));
        }
        return 0; // double and float: fixed size
    }

    /**
     * Bits a power adds for each unit of the exponent: log2 of a whole number (none for magnitude 1 or less), all of
     * a BigDecimal (its digits multiply too), none for double and float.
     */
    private static double growth(Number base) {
        if (base instanceof BigDecimal) {
            return bits(base);
        } else if (base instanceof Double || base instanceof Float) {
            return 0;
        }
        double magnitude = Math.abs(base.doubleValue());
        return magnitude <= 1 ? 0 : Double.isInfinite(magnitude) ? bits(base) : Math.log(magnitude) / Math.log(2);
    }
}
