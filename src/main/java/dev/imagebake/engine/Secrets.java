package dev.imagebake.engine;

import dev.imagebake.plan.Redactor;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every value that must never be shown: the plan's sensitive values plus what builds create as they run
 * (generated keys and passwords, tokens). Everything the engine reports passes through {@link #redact}.
 */
public final class Secrets {
    private final Set<String> values = ConcurrentHashMap.newKeySet();
    private volatile Redactor redactor = new Redactor(Set.of());

    public Secrets(Collection<String> initial) {
        initial.forEach(this::add);
    }

    public void add(String value) {
        if (value != null && !value.isEmpty() && values.add(value)) {
            // Multi-line secrets (private keys) also leak line by line through line-oriented output.
            for (String line : value.split("\n")) {
                if (line.strip().length() >= 8) {
                    values.add(line.strip());
                }
            }
            redactor = new Redactor(values);
        }
    }

    public String redact(String text) {
        return redactor.redact(text);
    }
}
