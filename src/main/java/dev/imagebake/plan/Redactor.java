package dev.imagebake.plan;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Replaces every sensitive value in a text with {@code <sensitive>}, longer values first; a text that is, as a
 * whole, one of the whole values (too short to mask inside text) becomes {@code <sensitive>}.
 */
public final class Redactor {
    public static final String MASK = "<sensitive>";
    private final List<String> values;
    private final Set<String> wholeValues;

    public Redactor(Collection<String> sensitiveValues) {
        this(sensitiveValues, Set.of());
    }

    public Redactor(Collection<String> sensitiveValues, Collection<String> wholeValues) {
        this.values = sensitiveValues.stream()
                .filter(v -> v != null && !v.isEmpty())
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
        this.wholeValues = Set.copyOf(wholeValues);
    }

    public String redact(String text) {
        if (text != null && wholeValues.contains(text)) {
            return MASK;
        }
        if (text == null || values.isEmpty()) {
            return text;
        }
        String result = text;
        for (String value : values) {
            if (result.contains(value)) {
                result = result.replace(value, MASK);
            }
        }
        return result;
    }
}
