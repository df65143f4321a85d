package dev.imagebake.plan;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Replaces every sensitive value in a text with {@code <sensitive>}. Longer values are replaced first. */
public final class Redactor {
    public static final String MASK = "<sensitive>";
    private final List<String> values;

    public Redactor(Collection<String> sensitiveValues) {
        this.values = sensitiveValues.stream()
                .filter(v -> v != null && !v.isEmpty())
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
    }

    public String redact(String text) {
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
