package dev.imagebake.plan;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * How much text a plan is, counted the way the renderers walk it: every string, key, field name and number, each
 * time it is shown (a step that applies to two builds counts twice), before masking. A template can repeat a value
 * many times over in a few lines; the plan is bounded so that printing it is too.
 */
public final class PlanSize {
    /** Text for each variable, build and step besides its values: names, kinds, positions, indentation. */
    private static final int PER_ITEM = 256;

    private PlanSize() {
    }

    /** Where the plan goes over {@code limit} characters (the variable, builder or step that crosses it), or null. */
    public static SourcePosition firstOver(Plan plan, long limit) {
        Counter counter = new Counter(limit);
        for (Variable v : plan.variables()) {
            if (counter.item(v.declaredAt(), v.name(), v.description(), v.value(), v.source())) {
                return v.declaredAt();
            }
        }
        for (Build b : plan.builds()) {
            if (counter.item(b.declaredAt(), b.name(), b.builder())) {
                return b.declaredAt();
            }
            for (List<Step> steps : List.of(b.steps(), b.onError(), b.post())) {
                for (Step s : steps) {
                    if (counter.item(s.declaredAt(), s.spec(), s.options())) {
                        return s.declaredAt();
                    }
                }
            }
        }
        return null;
    }

    private static final class Counter {
        private final long limit;
        private long total;

        Counter(long limit) {
            this.limit = limit;
        }

        /** Counts one item; true once the total is over the limit. */
        boolean item(SourcePosition at, Object... values) {
            total += PER_ITEM + at.file().length();
            for (Object value : values) {
                count(value);
                if (total > limit) {
                    return true;
                }
            }
            return total > limit;
        }

        private void count(Object value) {
            if (total > limit) {
                return; // known to be over: stop walking
            }
            if (value == null) {
                total += 4;
            } else if (value instanceof CharSequence s) {
                total += s.length();
            } else if (value instanceof Record r) {
                for (RecordComponent component : r.getClass().getRecordComponents()) {
                    total += component.getName().length() + 4;
                    try {
                        count(component.getAccessor().invoke(r));
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(e);
                    }
                }
            } else if (value instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    total += 4;
                    count(e.getKey());
                    count(e.getValue());
                    if (total > limit) {
                        return;
                    }
                }
            } else if (value instanceof Collection<?> items) {
                for (Object item : items) {
                    total += 2;
                    count(item);
                    if (total > limit) {
                        return;
                    }
                }
            } else {
                total += String.valueOf(value).length();
            }
        }
    }
}
