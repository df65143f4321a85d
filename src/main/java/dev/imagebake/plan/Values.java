package dev.imagebake.plan;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plan records as plain data (maps, lists, strings, numbers, booleans), for the renderers. Every string passes
 * through the plan's {@link Redactor}; durations read like {@code 10m} or {@code 1h30m}; a record that is one of
 * several kinds (an image source, say) carries its kind.
 */
final class Values {
    private Values() {
    }

    static Object plain(Object value, Redactor redactor) {
        if (value == null || value instanceof Boolean || value instanceof Number) {
            return value;
        } else if (value instanceof String s) {
            return redactor.redact(s);
        } else if (value instanceof Duration d) {
            return duration(d);
        } else if (value instanceof Record r) {
            return fields(r, redactor);
        } else if (value instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> out.put(redactor.redact(String.valueOf(k)), plain(v, redactor)));
            return out;
        } else if (value instanceof Collection<?> items) {
            List<Object> out = new ArrayList<>();
            items.forEach(i -> out.add(plain(i, redactor)));
            return out;
        }
        return redactor.redact(String.valueOf(value));
    }

    static Map<String, Object> fields(Record record, Redactor redactor) {
        Map<String, Object> out = new LinkedHashMap<>();
        Class<?> type = record.getClass();
        if (type.getInterfaces().length > 0 && type.getInterfaces()[0].isSealed()
                && type.getInterfaces()[0] != StepSpec.class && type.getInterfaces()[0] != BuilderSpec.class) {
            String simple = type.getSimpleName();
            out.put("kind", Character.toLowerCase(simple.charAt(0)) + simple.substring(1));
        }
        for (RecordComponent component : type.getRecordComponents()) {
            try {
                out.put(component.getName(), plain(component.getAccessor().invoke(record), redactor));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    static String duration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long hours = d.toHours();
        long minutes = d.toMinutesPart();
        long seconds = d.toSecondsPart();
        long millis = d.toMillisPart();
        if (hours > 0) {
            out.append(hours).append('h');
        }
        if (minutes > 0) {
            out.append(minutes).append('m');
        }
        if (seconds > 0) {
            out.append(seconds).append('s');
        }
        if (millis > 0) {
            out.append(millis).append("ms");
        }
        return out.toString();
    }

    static Map<String, Object> position(SourcePosition at) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", at.file());
        out.put("line", at.line());
        out.put("column", at.column());
        return out;
    }
}
