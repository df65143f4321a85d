package dev.imagebake.dsl;

import dev.imagebake.plan.SourcePosition;
import dev.imagebake.util.AzureNames;
import dev.imagebake.util.DurationText;
import groovy.lang.Closure;
import groovy.lang.GString;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A DSL block. Its keywords are exactly the public methods its subclasses declare; everything here is plumbing
 * that template code cannot reach.
 */
public abstract class BlockContext {
    protected final Evaluation evaluation;
    protected final SourcePosition declaredAt;
    private final Set<String> refused = new HashSet<>();

    protected BlockContext(Evaluation evaluation) {
        this.evaluation = evaluation;
        this.declaredAt = evaluation.position();
    }

    /** How errors name this block, for example {@code builder azure 'eu'}. */
    protected abstract String blockName();

    protected final void error(String message) {
        evaluation.report(evaluation.position(), message);
    }

    protected final void errorAtBlock(String message) {
        evaluation.report(declaredAt, message);
    }

    /** Notes that a keyword of this block was used with a value it refused (and that was reported). */
    final void markRefused(String keyword) {
        refused.add(keyword);
    }

    /**
     * Whether any of these keywords was used with a refused value. A required setting given a bad value has been
     * reported already; reporting it again as missing would only mislead.
     */
    protected final boolean refused(String... keywords) {
        for (String keyword : keywords) {
            if (refused.contains(keyword)) {
                return true;
            }
        }
        return false;
    }

    protected final void runBlock(Closure<?> body) {
        evaluation.runBlock(this, body);
    }

    protected final String string(String keyword, Object value) {
        if (value instanceof String || value instanceof GString) {
            return evaluation.text(value);
        }
        throw new TemplateError("`" + keyword + "` takes a string; got " + describe(value));
    }

    /**
     * A string that names an Azure resource: a name Azure would refuse is reported here, at the setting, with the
     * rule it breaks; evaluation goes on so that every bad name is reported at once.
     */
    protected final String azureName(String keyword, AzureNames.Kind kind, Object value) {
        String name = string(keyword, value);
        String problem = AzureNames.problem(kind, name);
        if (problem != null) {
            error("`" + keyword + "`: '" + name + "' is not a valid " + kind.noun() + " name: " + problem + ". Azure "
                    + "allows " + kind.rule() + ".");
        }
        return name;
    }

    protected final String optionalString(String keyword, Object value) {
        return value == null ? null : string(keyword, value);
    }

    protected final int integer(String keyword, Object value, int min, int max) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof java.math.BigInteger) {
            long n = ((Number) value).longValue();
            if (n < min || n > max) {
                throw new TemplateError("`" + keyword + "` must be between " + min + " and " + max + "; got " + n);
            }
            return (int) n;
        }
        throw new TemplateError("`" + keyword + "` takes a whole number; got " + describe(value));
    }

    protected final boolean bool(String keyword, Object value) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw new TemplateError("`" + keyword + "` takes true or false; got " + describe(value));
    }

    protected final Duration duration(String keyword, Object value) {
        String text = string(keyword, value).trim();
        Duration parsed = DurationText.parse(text);
        if (parsed == null) {
            throw new TemplateError("`" + keyword + "` takes a duration like '90s', '10m' or '1h30m'; got '"
                    + text + "'");
        }
        return parsed;
    }

    protected final List<String> strings(String keyword, Object[] values) {
        List<String> result = new ArrayList<>();
        for (Object v : arguments(values)) {
            if (v instanceof Collection<?> c) {
                for (Object item : c) {
                    result.add(string(keyword, item));
                }
            } else {
                result.add(string(keyword, v));
            }
        }
        return result;
    }

    /** A varargs keyword's arguments: Groovy passes a lone null argument as a null array. */
    protected static Object[] arguments(Object[] values) {
        return values == null ? new Object[] {null} : values;
    }

    protected final Map<String, String> stringMap(String keyword, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new TemplateError("`" + keyword + "` takes a map like [name: 'value']; got " + describe(value));
        }
        Map<String, String> result = new LinkedHashMap<>();
        map.forEach((k, v) -> {
            String key = evaluation.text(k);
            if (v instanceof Map || v instanceof Collection || v instanceof Closure) {
                throw new TemplateError("`" + keyword + "` values must be strings, numbers or booleans; `" + key
                        + "` is " + describe(v));
            }
            result.put(key, v == null ? "" : evaluation.text(v));
        });
        return result;
    }

    /** Checks named options against the ones a keyword knows, suggesting the closest for a misspelt one. */
    protected final void options(String keyword, Map<?, ?> given, Set<String> known) {
        for (Object key : given.keySet()) {
            String name = String.valueOf(key);
            if (!known.contains(name)) {
                throw new TemplateError("`" + keyword + "` has no option `" + name + "`."
                        + Suggestions.didYouMean(name, known) + " Options: " + String.join(", ", known.stream()
                        .sorted().toList()));
            }
        }
    }

    protected static String describe(Object value) {
        if (value == null) {
            return "null";
        } else if (value instanceof String || value instanceof GString) {
            String s = value.toString();
            return "the string '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
        } else if (value instanceof Boolean) {
            return "the boolean " + value;
        } else if (value instanceof Number) {
            return "the number " + value;
        } else if (value instanceof Map) {
            return "a map";
        } else if (value instanceof Collection) {
            return "a list";
        } else if (value instanceof Closure) {
            return "a block { }";
        } else if (value instanceof Evaluation.StepDeclaration s) {
            return "the " + s.step().kind() + " block";
        } else if (value instanceof Evaluation.BuilderDeclaration b) {
            return "the " + b.spec().type() + " block";
        }
        return "a " + value.getClass().getSimpleName();
    }
}
