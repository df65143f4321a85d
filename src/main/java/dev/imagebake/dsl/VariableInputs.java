package dev.imagebake.dsl;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Values for template variables from outside the template, already merged by precedence (lowest first):
 * {@code IMAGEBAKE_VAR_<name>} environment variables, then {@code -var-file}s in the order given, then
 * {@code -var}s in the order given. Defaults in the template rank below all of them.
 *
 * @param values      the winning value of each name, with where it came from
 * @param environment the process environment, for {@code env('NAME')} in variable defaults
 */
public record VariableInputs(Map<String, Input> values, Map<String, String> environment) {
    public static final String ENV_PREFIX = "IMAGEBAKE_VAR_";
    public static final VariableInputs NONE = new VariableInputs(Map.of(), Map.of());

    public VariableInputs {
        values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        environment = Map.copyOf(environment);
    }

    /** One given value: {@code source} is {@code env}, {@code var-file FILE} or {@code -var}. */
    public record Input(Object value, String source) {
    }

    /** Builds the merged inputs; call the adders in increasing precedence. */
    public static final class Builder {
        private final Map<String, Input> values = new LinkedHashMap<>();
        private final Map<String, String> environment;

        public Builder(Map<String, String> environment) {
            this.environment = environment;
            environment.forEach((k, v) -> {
                if (k.startsWith(ENV_PREFIX) && k.length() > ENV_PREFIX.length()) {
                    values.put(k.substring(ENV_PREFIX.length()), new Input(v, "env " + k));
                }
            });
        }

        public Builder put(String name, Object value, String source) {
            values.put(name, new Input(value, source));
            return this;
        }

        public VariableInputs build() {
            return new VariableInputs(values, environment);
        }
    }
}
