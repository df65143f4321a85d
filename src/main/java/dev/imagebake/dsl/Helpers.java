package dev.imagebake.dsl;

import dev.imagebake.dsl.sandbox.Guard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;

/** Functions every part of a template can call. */
public final class Helpers {
    private final Evaluation evaluation;

    Helpers(Evaluation evaluation) {
        this.evaluation = evaluation;
    }

    /**
     * The environment variable {@code name}, for use only as a variable's default:
     * {@code variable 'token', default: env('CI_TOKEN'), sensitive: true}. Keeping environment reads in variable
     * declarations means a template says what it takes from the environment, and can mark it sensitive.
     */
    public Object env(Object name) {
        if (!(name instanceof CharSequence)) {
            throw new TemplateError("`env` takes the name of an environment variable");
        }
        return new EnvironmentValue(name.toString());
    }

    /** The time evaluation started, in UTC, formatted with a {@link DateTimeFormatter} pattern. */
    public String timestamp(Object pattern) {
        if (!(pattern instanceof CharSequence)) {
            throw new TemplateError("`timestamp` takes a pattern such as 'yyyyMMddHHmm'");
        }
        try {
            return DateTimeFormatter.ofPattern(pattern.toString()).withZone(ZoneOffset.UTC)
                    .format(evaluation.startedAt());
        } catch (IllegalArgumentException e) {
            throw new TemplateError("`timestamp` pattern '" + pattern + "' is not valid: " + e.getMessage());
        }
    }

    /** The time evaluation started as {@code yyyyMMddHHmmss}, in UTC. */
    public String timestamp() {
        return timestamp("yyyyMMddHHmmss");
    }

    /** A new random UUID. */
    public String uuid() {
        return UUID.randomUUID().toString();
    }

    /** The text of a file below the template's folder (UTF-8, at most 1 MiB). */
    public String file(Object relativePath) {
        if (!(relativePath instanceof CharSequence)) {
            throw new TemplateError("`file` takes a path relative to the template's folder");
        }
        return evaluation.files().read(relativePath.toString());
    }

    /** Stops evaluation with an error at this line: {@code if (!ok) fail('explain what to fix')}. */
    public Object fail(Object message) {
        throw new TemplateError(evaluation.text(message));
    }

    /** Prints a line on standard error while the template is evaluated (at most 64 KiB in all). */
    public Object println(Object value) {
        String text = evaluation.text(value) + System.lineSeparator();
        Guard.current().countOutput(text.length());
        try {
            evaluation.out().append(evaluation.redact(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return null;
    }

    public Object println() {
        return println("");
    }

    /** What {@code env('NAME')} returns: a reference that only a variable's default can resolve. */
    record EnvironmentValue(String name) implements dev.imagebake.dsl.sandbox.TemplateValue {
        @Override
        public Object templateProperty(String property) {
            throw misuse();
        }

        TemplateError misuse() {
            String variable = variableName();
            return new TemplateError("env('" + name + "') can only be a variable's default: declare variable '"
                    + variable + "', default: env('" + name + "') and write var." + variable + " here");
        }

        /** A variable name for the suggestion: TARGET_HOST becomes targetHost. */
        private String variableName() {
            StringBuilder camel = new StringBuilder();
            for (String part : name.toLowerCase(java.util.Locale.ROOT).split("_")) {
                if (!part.isEmpty()) {
                    camel.append(camel.isEmpty() ? part : Character.toUpperCase(part.charAt(0)) + part.substring(1));
                }
            }
            return camel.toString().matches("[a-z][A-Za-z0-9]*") ? camel.toString() : "x";
        }

        @Override
        public String toString() {
            throw misuse();
        }
    }
}
