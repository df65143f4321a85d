package dev.imagebake.plan;

import java.util.List;
import java.util.Set;

/**
 * The immutable result of evaluating a template: what will be built, and how.
 *
 * @param template        the template's path as given by the user
 * @param variables       every declared variable with its resolved value and where that value came from
 * @param builds          the builds, in declaration order
 * @param sensitiveValues values that must never be shown; every renderer and logger redacts them
 */
public record Plan(String template, List<Variable> variables, List<Build> builds, Set<String> sensitiveValues) {
    public Plan {
        variables = List.copyOf(variables);
        builds = List.copyOf(builds);
        sensitiveValues = Set.copyOf(sensitiveValues);
    }

    public Redactor redactor() {
        return new Redactor(sensitiveValues);
    }
}
