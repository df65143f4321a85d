package dev.imagebake.dsl.sandbox;

import groovy.lang.Closure;
import org.codehaus.groovy.runtime.InvokerHelper;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * String methods for templates, each bounded before it runs: a result that would be over the string limit is
 * refused before it is built, and every regular expression reads its input through a {@link GuardedCharSequence}.
 */
final class StringMethods {
    /** Above this many characters x argument characters, a substring search is over the work limit. */
    private static final long SEARCH_WORK_LIMIT = 4_000_000_000L;

    private StringMethods() {
    }

    static Object call(String s, String method, Object[] args, Guard guard) {
        switch (method) {
            case "plus", "concat" -> guard.checkStringLength(Guard.plus(s.length(),
                    SandboxRuntime.renderedLength(arg(args, 0), guard)));
            case "multiply", "repeat" -> guard.checkStringLength(Guard.times(s.length(), longArg(args, 0, guard)));
            case "padLeft", "padRight", "center" -> guard.checkStringLength(longArg(args, 0, guard));
            case "expand" -> guard.checkStringLength(Guard.plus(s.length(),
                    Guard.times(count(s, "\t"), args.length == 0 ? 8 : longArg(args, 0, guard))));
            case "toList", "toSet", "collect" -> guard.checkCollectionSize(s.length());
            case "toBigInteger", "toBigDecimal", "isBigInteger", "isBigDecimal", "isNumber" ->
                    NumberMethods.checkParse(s, guard);
            case "matches" -> {
                return guardedPattern(arg(args, 0), guard).matcher(new GuardedCharSequence(s, guard)).matches();
            }
            case "replaceAll", "replaceFirst" -> {
                return replace(s, method.equals("replaceAll"), args, guard);
            }
            case "split" -> {
                if (args.length == 0) {
                    return InvokerHelper.invokeMethod(s, "split", args);
                }
                Pattern p = guardedPattern(arg(args, 0), guard);
                return args.length > 1 ? p.split(new GuardedCharSequence(s, guard), (int) longArg(args, 1, guard))
                        : p.split(new GuardedCharSequence(s, guard));
            }
            // Every overload of find and findAll takes a regex first (a string or a pattern). Groovy's own ones match
            // against the receiver's plain text, unguarded: all are done here, over a guarded input.
            case "find" -> {
                Pattern p = guardedPattern(arg(args, 0), guard);
                if (args.length == 1) {
                    Matcher m = p.matcher(new GuardedCharSequence(s, guard));
                    return m.find() ? m.group() : null;
                }
                Closure<?> closure = closureArg(args, 1, guard);
                Matcher m = p.matcher(new GuardedCharSequence(s, guard));
                return m.find() ? String.valueOf(closure.call(matched(m))) : null;
            }
            case "findAll" -> {
                Pattern p = guardedPattern(arg(args, 0), guard);
                if (args.length == 1) {
                    Matcher m = p.matcher(new GuardedCharSequence(s, guard));
                    List<String> found = new ArrayList<>();
                    while (m.find()) {
                        found.add(m.group());
                        guard.checkCollectionSize(found.size());
                    }
                    return found;
                }
                Closure<?> closure = closureArg(args, 1, guard);
                Matcher m = p.matcher(new GuardedCharSequence(s, guard));
                List<Object> results = new ArrayList<>();
                while (m.find()) {
                    results.add(closure.call(matched(m)));
                    guard.checkCollectionSize(results.size());
                }
                return results;
            }
            case "encodeBase64" -> {
                byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
                guard.checkStringLength(Guard.times((bytes.length + 2L) / 3, 4));
                return Base64.getEncoder().encodeToString(bytes);
            }
            case "replace" -> {
                searchWork(s, method, arg(args, 0), guard);
                if (arg(args, 0) instanceof CharSequence target && arg(args, 1) instanceof CharSequence by) {
                    // Count first: one call could otherwise build a result thousands of times over the limit.
                    guard.checkStringLength(Guard.plus(s.length(),
                            Guard.times(count(s, target.toString()), (long) by.length() - target.length())));
                }
            }
            case "contains", "indexOf", "lastIndexOf", "count", "minus" -> searchWork(s, method, arg(args, 0), guard);
            default -> {
            }
        }
        if (args.length > 0 && args[args.length - 1] instanceof Pattern) {
            throw SandboxRuntime.refused("`" + method + "` with a regex pattern argument is not available; use =~ "
                    + "or find", guard);
        }
        Object result = InvokerHelper.invokeMethod(s, method, args);
        if (result instanceof CharSequence text) {
            guard.checkStringLength(text.length());
        }
        return result;
    }

    /** {@code s =~ regex}: a matcher that checks the guard as it reads. */
    static Matcher matcher(Object text, Object regex, Guard guard) {
        if (text == null) {
            throw SandboxRuntime.refused("cannot match a regex against null", guard);
        }
        return guardedPattern(regex, guard).matcher(new GuardedCharSequence(SandboxRuntime.text(text), guard));
    }

    private static Pattern guardedPattern(Object regex, Guard guard) {
        if (!(regex instanceof CharSequence) && !(regex instanceof Pattern)) {
            throw SandboxRuntime.refused("a regex must be a string, not " + Allowlist.describe(regex), guard);
        }
        String source = regex instanceof Pattern p ? p.pattern() : SandboxRuntime.text(regex);
        guard.checkStringLength(source.length());
        return Pattern.compile(source);
    }

    /** replaceAll/replaceFirst, building the result piece by piece so that it cannot run past the limit. */
    private static String replace(String s, boolean all, Object[] args, Guard guard) {
        if (!(arg(args, 1) instanceof CharSequence replacement)) {
            throw SandboxRuntime.refused("`" + (all ? "replaceAll" : "replaceFirst")
                    + "` takes a regex and a replacement string", guard);
        }
        Matcher m = guardedPattern(arg(args, 0), guard).matcher(new GuardedCharSequence(s, guard));
        StringBuilder result = new StringBuilder();
        String by = replacement.toString();
        while (m.find()) {
            m.appendReplacement(result, by);
            guard.checkStringLength(result.length() + (long) s.length() - m.end());
            guard.checkpoint();
            if (!all) {
                break;
            }
        }
        m.appendTail(result);
        return result.toString();
    }

    private static void searchWork(String s, String method, Object argument, Guard guard) {
        long work = Guard.times(s.length(), argument instanceof CharSequence c ? c.length() : 1);
        if (work > SEARCH_WORK_LIMIT) {
            throw SandboxRuntime.limit("`" + method + "` on a " + s.length() + "-character string with so long an "
                    + "argument is over the work limit", guard);
        }
    }

    /** Non-overlapping occurrences of {@code part}; an empty part is found between every two characters. */
    private static long count(String s, String part) {
        if (part.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + part.length())) {
            n++;
        }
        return n;
    }

    /** A number as a long, saturating at the ends of the range instead of keeping the low bits. */
    static long saturated(Number n) {
        if (n instanceof BigInteger || n instanceof BigDecimal) {
            BigInteger whole = n instanceof BigDecimal d ? d.toBigInteger() : (BigInteger) n;
            return whole.bitLength() < 64 ? whole.longValue() : whole.signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        if ((n instanceof Double || n instanceof Float) && Double.isNaN(n.doubleValue())) {
            return 0;
        }
        return n.longValue(); // a double's longValue saturates already
    }

    /** What a closure given to find or findAll receives for a match: its text, or it and its groups, as Groovy. */
    private static Object matched(Matcher m) {
        if (m.groupCount() == 0) {
            return m.group();
        }
        List<String> groups = new ArrayList<>();
        for (int i = 0; i <= m.groupCount(); i++) {
            groups.add(m.group(i));
        }
        return groups;
    }

    private static Closure<?> closureArg(Object[] args, int index, Guard guard) {
        if (args.length == index + 1 && args[index] instanceof Closure<?> closure) {
            return closure;
        }
        throw SandboxRuntime.refused("expected a regex and a closure", guard);
    }

    private static Object arg(Object[] args, int index) {
        return index < args.length ? args[index] : null;
    }

    /**
     * A count or size argument, never negative; a number beyond the range of a long (a BigInteger, a huge
     * double) counts as {@link Long#MAX_VALUE} rather than as its low bits, so that it fails the limit it is checked
     * against.
     */
    static long longArg(Object[] args, int index, Guard guard) {
        if (arg(args, index) instanceof Number n) {
            return Math.max(0, saturated(n));
        }
        throw SandboxRuntime.refused("expected a number as argument " + (index + 1), guard);
    }
}
