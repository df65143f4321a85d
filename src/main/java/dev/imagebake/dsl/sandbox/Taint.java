package dev.imagebake.dsl.sandbox;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which values of one evaluation are sensitive: those the template declared so (sources) and every value computed
 * from one. {@link SandboxRuntime} hands each operation's result here with its inputs, so sensitivity follows the
 * data through any method, operator, GString, conversion or closure, not through a list of methods.
 *
 * <p>Text is tracked by value (a string equal to a sensitive one is sensitive, wherever it came from); collections,
 * arrays and other objects by identity. A collection is sensitive once it holds a sensitive value. Numbers and
 * booleans never are: a password's length is not the password, and masking digits would garble every message.
 *
 * <p>The rule for a result is conservative: when any input is sensitive, every new piece of text in the result is
 * (what an operation returns unchanged from its inputs keeps its own standing, so {@code [pw, 'x'][1]} stays plain).
 */
public final class Taint {
    /**
     * Computed text shorter than this is tracked by identity, not by value: a password's first letter must not make
     * every {@code 'e'} of the template sensitive. It is masked only where it stands alone (a setting, a list item).
     */
    public static final int SHORTEST_BY_VALUE = 4;
    /** How deep {@link #mark} looks into nested results: as deep as a value can be rendered. */
    private static final int MAX_DEPTH = 200;
    /**
     * How many sensitive text values one evaluation may make, and how many characters they may hold in all: every
     * output is masked against them (see ADR 0006), so they bound the masking automaton. Far above what templates
     * make (a few secrets and what is computed from them).
     */
    public static final int MAX_VALUES = 10_000;
    public static final long MAX_CHARS = 1L << 20;
    private long chars;
    private final Set<String> sources = new LinkedHashSet<>();
    private final Set<String> shortValues = new LinkedHashSet<>();
    private final Set<String> values = new LinkedHashSet<>();
    private final Set<Object> objects = Collections.newSetFromMap(new IdentityHashMap<>());

    /** True once anything is sensitive: until then no operation pays for tracking. */
    boolean active() {
        return !values.isEmpty() || !objects.isEmpty();
    }

    /** Declares a value sensitive at its source (a sensitive variable, a secret setting), with all it holds. */
    public void declare(Object value) {
        if (value instanceof CharSequence || value instanceof Character) {
            String text = value.toString();
            if (!text.isEmpty()) {
                sources.add(text);
                added(values.add(text), text);
            }
        } else if (value instanceof Map<?, ?> map) {
            objects.add(value);
            map.values().forEach(this::declare);
        } else if (value instanceof Collection<?> items) {
            objects.add(value);
            items.forEach(this::declare);
        } else if (value != null && !(value instanceof Number || value instanceof Boolean)) {
            declare(String.valueOf(value));
        }
    }

    /** Counts a new sensitive text value against the limits. */
    private void added(boolean isNew, String text) {
        if (!isNew) {
            return;
        }
        chars += text.length();
        if (values.size() + shortValues.size() > MAX_VALUES) {
            throw new LimitExceededException("more than " + MAX_VALUES + " sensitive values: every output is masked "
                    + "against each of them; keep secrets few and compute less text from them", 0, 0);
        }
        if (chars > MAX_CHARS) {
            throw new LimitExceededException("sensitive values of more than " + MAX_CHARS + " characters in all: "
                    + "every output is masked against each of them; keep secrets few and compute less text from them",
                    0, 0);
        }
    }

    /** The text values declared sensitive at their source. */
    public Set<String> sources() {
        return Collections.unmodifiableSet(sources);
    }

    /** Every sensitive text value: the sources and what was computed from them. */
    public Set<String> values() {
        return Collections.unmodifiableSet(values);
    }

    /**
     * What to mask wherever it appears in text: the sources, and computed values of {@link #SHORTEST_BY_VALUE} or
     * more characters, except those that hold another one (masking the shorter one already hides what is secret in
     * them, and keeps the rest readable: {@code "user=${pw.reverse()}"} shows as {@code user=<sensitive>}; a loop
     * that appends a secret would otherwise leave one value per round).
     */
    public Set<String> maskedInText() {
        Set<String> masked = new LinkedHashSet<>(sources);
        List<String> inner = new ArrayList<>(sources.stream().filter(s -> s.length() >= SHORTEST_BY_VALUE).toList());
        List<String> computed = values.stream().filter(v -> !sources.contains(v))
                .sorted(java.util.Comparator.comparingInt(String::length)).toList();
        // Comparing every pair is quadratic: past this many values, only the sources count as inner ones.
        boolean pairwise = computed.size() <= 2_000;
        for (String value : computed) {
            if (inner.stream().noneMatch(value::contains)) {
                masked.add(value);
                if (pairwise) {
                    inner.add(value);
                }
            }
        }
        return masked;
    }

    /** Computed values too short to mask inside text: masked where a whole setting or item equals one. */
    public Set<String> maskedWhole() {
        return Collections.unmodifiableSet(shortValues);
    }

    /** Whether this value is sensitive itself; a collection is when it was seen to hold a sensitive value. */
    public boolean isSensitive(Object value) {
        if (value == null || value instanceof Number || value instanceof Boolean) {
            return false;
        }
        if (value instanceof CharSequence || value instanceof Character) {
            return objects.contains(value) || values.contains(value.toString());
        }
        return objects.contains(value);
    }

    /**
     * The result of an operation, recorded as sensitive where it depends on a sensitive input.
     *
     * @param fresh  whether the result may hold new collections (host code built it) rather than being one of the
     *               template's own values handed back
     * @param inputs the receiver and arguments of the operation
     */
    Object propagate(Object result, boolean fresh, Guard guard, Object... inputs) {
        if (!active() || result == null || result instanceof Number || result instanceof Boolean) {
            return result;
        }
        boolean fromSensitive = false;
        for (Object input : inputs) {
            if (isSensitive(input)) {
                fromSensitive = true;
                break;
            }
        }
        if (!fromSensitive && !(fresh && isContainer(result))) {
            return result;
        }
        Set<Object> existing = fromSensitive ? reachable(inputs, guard) : Set.of();
        mark(result, fromSensitive, existing, guard, new IdentityHashMap<>(), 0);
        return result;
    }

    /** A frozen copy of a value handed over keeps the value's standing. */
    void copied(Object original, Object copy) {
        if (objects.contains(original)) {
            objects.add(copy);
        }
    }

    /** The number of sensitive text values so far: it changes whenever a new one is made. */
    public int size() {
        return values.size() + shortValues.size();
    }

    /** A collection that {@code value} was added to (or an entry of which was set) holds it from now on. */
    void stored(Object container, Object value) {
        if (active() && isContainer(container) && isSensitive(value)) {
            objects.add(container);
        }
    }

    /** A collection literal (or the list a spread builds): sensitive when one of its items is. */
    Object built(Object container) {
        if (active() && !objects.contains(container)) {
            for (Object item : items(container)) {
                if (isSensitive(item)) {
                    objects.add(container);
                    break;
                }
            }
        }
        return container;
    }

    /**
     * Records what in {@code value} is sensitive and says whether anything is. Without a sensitive input only the
     * result's own items are looked at (what lies deeper was recorded when it was built); with one, new values at
     * any depth are (to a limit, beyond which a value keeps the standing it has).
     */
    private boolean mark(Object value, boolean fromSensitive, Set<Object> existing, Guard guard,
                         IdentityHashMap<Object, Boolean> seen, int depth) {
        if (value == null || value instanceof Number || value instanceof Boolean) {
            return false;
        }
        if (value instanceof CharSequence || value instanceof Character) {
            if (isSensitive(value)) {
                return true;
            }
            String text = value.toString();
            if (fromSensitive && !existing.contains(value) && !text.isEmpty()) {
                if (text.length() >= SHORTEST_BY_VALUE) {
                    added(values.add(text), text);
                } else {
                    objects.add(value);
                    added(shortValues.add(text), text);
                }
                return true;
            }
            return false;
        }
        if (objects.contains(value)) {
            return true;
        }
        if ((depth > 0 && !fromSensitive) || depth > MAX_DEPTH) {
            return false;
        }
        if (existing.contains(value) || seen.put(value, Boolean.TRUE) != null) {
            return false; // handed back unchanged, or already being looked at (a collection that holds itself)
        }
        if (guard != null) {
            guard.checkpoint();
        }
        boolean holds = false;
        if (isContainer(value)) {
            for (Object item : items(value)) {
                holds |= mark(item, fromSensitive, existing, guard, seen, depth + 1);
            }
        }
        // Bytes, matchers and other results have no text to compare: what came from a secret is one by identity.
        boolean sensitive = holds || (fromSensitive && !isContainer(value));
        if (sensitive) {
            objects.add(value);
        }
        return sensitive;
    }

    /** Everything reachable from the inputs, by identity: what a result may hand back unchanged. */
    private static Set<Object> reachable(Object[] inputs, Guard guard) {
        Set<Object> found = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Object> pending = new ArrayList<>(List.of(inputs));
        while (!pending.isEmpty()) {
            Object next = pending.remove(pending.size() - 1);
            if (next != null && found.add(next) && isContainer(next)) {
                guard.checkpoint();
                for (Object item : items(next)) {
                    pending.add(item);
                }
            }
        }
        return found;
    }

    private static boolean isContainer(Object value) {
        return value instanceof Collection<?> || value instanceof Map<?, ?> || value instanceof Map.Entry<?, ?>
                || value instanceof Object[];
    }

    private static Iterable<?> items(Object container) {
        if (container instanceof Map<?, ?> map) {
            List<Object> all = new ArrayList<>(map.size() * 2);
            map.forEach((k, v) -> {
                all.add(k);
                all.add(v);
            });
            return all;
        }
        if (container instanceof Map.Entry<?, ?> entry) {
            return java.util.Arrays.asList(entry.getKey(), entry.getValue());
        }
        if (container instanceof Collection<?> items) {
            return items;
        }
        return java.util.Arrays.asList((Object[]) container);
    }
}
