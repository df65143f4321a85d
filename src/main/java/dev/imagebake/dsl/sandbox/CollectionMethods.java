package dev.imagebake.dsl.sandbox;

import groovy.lang.Closure;
import org.codehaus.groovy.runtime.InvokerHelper;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * List, map and array methods for templates: growth is checked against the collection limit before it happens, and
 * methods whose cost is quadratic in the input are refused on large inputs.
 */
final class CollectionMethods {
    private static final int QUADRATIC_LIMIT = 10_000;
    /**
     * Host code compares items with no checkpoint in between, and comparing two long strings reads them in full:
     * methods that compare may only see this many characters of data (the items' text) in all...
     */
    static final long COMPARED_CHARS_LIMIT = 64L << 20;
    /** ...and quadratic ones this many characters times items. */
    private static final long QUADRATIC_WORK_LIMIT = 10_000_000_000L;
    /** Methods that compare items (equals, hashCode, compareTo) without calling a template closure in between. */
    private static final Set<String> COMPARING = Set.of("contains", "containsAll", "containsKey", "containsValue",
            "count", "countBy", "disjoint", "equals", "groupBy", "indexOf", "intersect", "lastIndexOf", "max", "min",
            "minus", "remove", "removeAll", "retainAll", "sort", "toSet", "toSorted", "toUnique", "unique");

    /** Methods whose result is a view of the receiver rather than a list of its own. */
    private static final Set<String> VIEWS = Set.of("subList", "asReversed");

    private CollectionMethods() {
    }

    static Object call(Object target, String method, Object[] args, Guard guard) {
        int size = sizeOf(target);
        Object arg = args.length > 0 ? args[0] : null;
        switch (method) {
            case "multiply" -> guard.checkCollectionSize(Guard.times(size, StringMethods.longArg(args, 0, guard)));
            case "plus", "addAll", "leftShift", "putAll", "add", "push", "put" -> guard.checkCollectionSize(Guard.plus(
                    size, arg instanceof Collection<?> c ? c.size() : arg instanceof Map<?, ?> m ? m.size() : 1));
            case "join" -> guard.checkStringLength(Guard.plus(SandboxRuntime.renderedLength(target, guard),
                    arg instanceof CharSequence separator ? Guard.times(separator.length(), size) : 0));
            case "sum" -> {
                if (args.length == 0 && target instanceof Collection<?> items) {
                    return sum(items, guard);
                }
            }
            case "collate" -> {
                if (StringMethods.longArg(args, 0, guard) < 1) {
                    throw SandboxRuntime.refused("`collate` needs a size of at least 1", guard);
                }
            }
            default -> {
                if (Allowlist.QUADRATIC.contains(method)) {
                    int other = arg instanceof Collection<?> c ? c.size() : 0;
                    if (size > QUADRATIC_LIMIT || other > QUADRATIC_LIMIT) {
                        throw SandboxRuntime.limit("`" + method + "` on more than " + QUADRATIC_LIMIT
                                + " elements is over the work limit", guard);
                    }
                }
            }
        }
        if (COMPARING.contains(method) && !(arg instanceof Closure<?>)) {
            long compared = comparedChars(target, guard);
            for (Object a : args) {
                compared = Guard.plus(compared, comparedChars(a, guard));
            }
            boolean quadratic = Allowlist.QUADRATIC.contains(method);
            if (quadratic && Guard.times(compared, Math.max(1, size)) > QUADRATIC_WORK_LIMIT) {
                throw SandboxRuntime.limit("`" + method + "` would compare " + size + " items holding " + compared
                        + " characters of text with each other, over the work limit", guard);
            } else if (compared > COMPARED_CHARS_LIMIT) {
                throw tooMuchToCompare(method, guard);
            }
        }
        for (Object a : args) {
            if (a instanceof Pattern) {
                throw SandboxRuntime.refused("`" + method + "` with a regex pattern argument is not available",
                        guard);
            }
        }
        Object result = InvokerHelper.invokeMethod(target, method, args);
        // Views share their items with the list they look at, and are walked by JDK code: guard them.
        return VIEWS.contains(method) && result instanceof List<?> view && !(result instanceof groovy.lang.Range<?>) ? new GuardedView(view) : result;
    }

    static LimitExceededException tooMuchToCompare(String operation, Guard guard) {
        return SandboxRuntime.limit("`" + operation + "` would compare more than " + COMPARED_CHARS_LIMIT
                + " characters of text, over the work limit", guard);
    }

    /** How much text comparing this value can read: its rendered length, counted no further than the limit. */
    static long comparedChars(Object value, Guard guard) {
        if (value instanceof Collection<?> || value instanceof Map<?, ?>) {
            return SandboxRuntime.renderedLength(value, guard, COMPARED_CHARS_LIMIT);
        }
        return value instanceof CharSequence text ? text.length() : 0;
    }

    /** Adds up the items with the template's own {@code +}, so that every step is bounded like one. */
    private static Object sum(Collection<?> items, Guard guard) {
        Object total = null;
        boolean first = true;
        for (Object item : items) {
            guard.checkpoint();
            total = first ? item : SandboxRuntime.invoke(total, "plus", new Object[] {item}, false, guard);
            first = false;
        }
        return total;
    }

    private static int sizeOf(Object value) {
        if (value instanceof Collection<?> c) {
            return c.size();
        } else if (value instanceof Map<?, ?> m) {
            return m.size();
        } else if (value != null && value.getClass().isArray()) {
            return java.lang.reflect.Array.getLength(value);
        }
        return 0;
    }
}
