package dev.imagebake.repl;

import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.plan.Variable;

import java.util.List;

/** Writes the session's kept entries as a template that {@code validate} and {@code build} take. */
final class TemplateWriter {
    private TemplateWriter() {
    }

    /**
     * The template text. A sensitive variable whose value was typed as a literal is written to read its value from
     * the environment instead ({@code IMAGEBAKE_VAR_name}, or {@code -var name=...}): the file holds no secret.
     */
    static String write(List<Entry> entries, List<Variable> variables) {
        StringBuilder text = new StringBuilder("// Written by `imagebake repl` (:save): the builder and the steps "
                + "that succeeded, in order.\n");
        for (Entry entry : entries) {
            String statement = entry.text;
            for (Variable v : variables) {
                if (v.sensitive() && v.value() instanceof String value && !value.isEmpty()) {
                    String reference = "env('" + VariableInputs.ENV_PREFIX + v.name() + "')";
                    statement = statement.replace("'" + value + "'", reference)
                            .replace("\"" + value + "\"", reference);
                }
            }
            text.append(statement).append('\n');
        }
        return text.toString();
    }
}
