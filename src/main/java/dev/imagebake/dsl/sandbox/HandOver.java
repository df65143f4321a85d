package dev.imagebake.dsl.sandbox;

import groovy.lang.GString;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a template hands to the rest of imagebake (a keyword's arguments, a variables file's assignments, a JSON
 * variables file's values) becomes a deep, immutable copy, after the same check as every hand-over: at most
 * {@link #MAX_DEPTH} levels deep and at most the string limit long as text. The plan is walked later, on the main
 * thread and with no guard; a list the template kept could otherwise be grown afterwards into gigabytes, or nested
 * 200,000 levels deep.
 */
public final class HandOver {
    /** How deep a value handed over may be nested (as deep as one can be rendered as text). */
    public static final int MAX_DEPTH = 200;
    private static final int CHECKPOINT_EVERY = 1024;

    private HandOver() {
    }

    /** Checks and freezes {@code value}, handed to {@code keyword} by the running evaluation. */
    public static Object freeze(String keyword, Object value) {
        Guard guard = Guard.current();
        return freeze(keyword, value, guard.limits(), guard);
    }

    /** As {@link #freeze(String, Object)}, outside an evaluation (values read by host code, such as JSON files). */
    public static Object freeze(String keyword, Object value, Limits limits) {
        return freeze(keyword, value, limits, null);
    }

    private static Object freeze(String keyword, Object value, Limits limits, Guard guard) {
        if (!isContainer(value) && !(value instanceof GString)) {
            return value;
        }
        long length = SandboxRuntime.renderedLength(value, limits.maxStringLength());
        if (length > limits.maxStringLength()) {
            throw new LimitExceededException("the value given to `" + keyword + "` would be " + length
                    + " characters as text, over the limit of " + limits.maxStringLength(), 0, 0);
        }
        return new Copier(keyword, guard).copy(value);
    }

    private static boolean isContainer(Object value) {
        return value instanceof Collection<?> || value instanceof Map<?, ?> || value instanceof Object[];
    }

    /** Copies bottom-up, keeping sharing (a value held twice is copied once); a value that holds itself is refused. */
    private static final class Copier {
        private final String keyword;
        private final Guard guard;
        private final IdentityHashMap<Object, Object> copies = new IdentityHashMap<>();
        private final Set<Object> open = Collections.newSetFromMap(new IdentityHashMap<>());
        private int visited;

        Copier(String keyword, Guard guard) {
            this.keyword = keyword;
            this.guard = guard;
        }

        Object copy(Object value) {
            if (value instanceof GString g) {
                return g.toString(); // bounded: its length was checked above
            }
            if (!isContainer(value)) {
                return value;
            }
            Object done = copies.get(value);
            if (done != null) {
                return done;
            }
            if (!open.add(value)) {
                throw new LimitExceededException("the value given to `" + keyword + "` holds itself; "
                        + "hand over a copy without the loop", 0, 0);
            }
            if (guard != null && ++visited % CHECKPOINT_EVERY == 0) {
                guard.checkpoint();
            }
            Object frozen;
            if (value instanceof Map<?, ?> map) {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    out.put(copy(e.getKey()), copy(e.getValue()));
                }
                frozen = Collections.unmodifiableMap(out);
            } else if (value instanceof Set<?> set) {
                Set<Object> out = new LinkedHashSet<>();
                for (Object item : set) {
                    out.add(copy(item));
                }
                frozen = Collections.unmodifiableSet(out);
            } else if (value instanceof Object[] array) {
                Object[] out = new Object[array.length];
                for (int i = 0; i < array.length; i++) {
                    out[i] = copy(array[i]);
                }
                frozen = out;
            } else {
                Collection<?> items = (Collection<?>) value;
                List<Object> out = new ArrayList<>(items.size());
                for (Object item : items) {
                    out.add(copy(item));
                }
                frozen = Collections.unmodifiableList(out);
            }
            open.remove(value);
            copies.put(value, frozen);
            if (guard != null) {
                guard.taint().copied(value, frozen);
            }
            return frozen;
        }
    }
}
