package dev.imagebake.dsl;

import dev.imagebake.dsl.sandbox.TemplateValue;

/** {@code var}: read-only access to the template's declared variables, as {@code var.name}. */
final class Vars implements TemplateValue {
    private final Evaluation evaluation;

    Vars(Evaluation evaluation) {
        this.evaluation = evaluation;
    }

    @Override
    public Object templateProperty(String name) {
        return evaluation.variableValue(name);
    }

    @Override
    public String toString() {
        return "var";
    }
}
