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
    private final Set<String> wholeValues = ConcurrentHashMap.newKeySet();
    private volatile Redactor redactor = new Redactor(Set.of());

    public Secrets(Collection<String> initial) {
        this(initial, Set.of());
    }

    /**
     * @param wholeValues values too short to mask inside text, masked where a whole line equals one (see
     *                    {@link dev.imagebake.plan.Plan#sensitiveWholeValues()})
     */
    public Secrets(Collection<String> initial, Collection<String> wholeValues) {
        wholeValues.forEach(this::addWhole);
        initial.forEach(this::add);
    }

    /** A value too short to mask inside text: masked where a whole line equals it. */
    public void addWhole(String value) {
        if (value != null && !value.isEmpty() && wholeValues.add(value)) {
            redactor = new Redactor(values, wholeValues);
        }
    }

    public void add(String value) {
        add(value, "");
    }

    /**
     * A multi-line secret that holds public text too, such as a private key file, whose base64 carries the public
     * key: the lines of {@code value} found inside {@code publicText} (the public key as shown, say in
     * authorized_keys) are not masked on their own, since they say nothing secret.
     */
    public void add(String value, String publicText) {
        if (value != null && !value.isEmpty() && values.add(value)) {
            // Multi-line secrets (private keys) also leak line by line through line-oriented output.
            for (String line : value.split("\n")) {
                if (line.strip().length() >= 8 && !publicText.contains(line.strip())) {
                    values.add(line.strip());
                }
            }
            redactor = new Redactor(values, wholeValues);
        }
    }

    public String redact(String text) {
        return redactor.redact(text);
    }
}
