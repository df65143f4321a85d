package dev.imagebake.plan;

import java.util.List;
import java.util.Set;

/**
 * The immutable result of evaluating a template: what will be built, and how.
 *
 * @param template        the template's path as given by the user
 * @param variables       every declared variable with its resolved value and where that value came from
 * @param builds          the builds, in declaration order
 * @param sensitiveValues values that must never be shown; every renderer and logger redacts them wherever they
 *                        appear: the template's sensitive values and what it computed from them
 * @param sensitiveWholeValues values computed from sensitive ones that are too short to mask inside text (a
 *                        password's first letters): masked where a whole setting, list item or line equals one
 */
public record Plan(String template, List<Variable> variables, List<Build> builds, Set<String> sensitiveValues,
                   Set<String> sensitiveWholeValues) {
    /** The most text a plan may be (see {@link PlanSize}); documented in src/docs/sandbox.md. */
    public static final long MAX_CHARS = 8L << 20;

    public Plan {
        variables = List.copyOf(variables);
        builds = List.copyOf(builds);
        sensitiveValues = Set.copyOf(sensitiveValues);
        sensitiveWholeValues = Set.copyOf(sensitiveWholeValues);
    }

    public Redactor redactor() {
        return new Redactor(sensitiveValues, sensitiveWholeValues);
    }
}
