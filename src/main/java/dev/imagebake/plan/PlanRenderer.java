package dev.imagebake.plan;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/** The plan as people read it. Empty settings are left out; sensitive values show as {@code <sensitive>}. */
public final class PlanRenderer {
    private PlanRenderer() {
    }

    public static String render(Plan plan) {
        Redactor redactor = plan.redactor();
        StringBuilder out = new StringBuilder();
        out.append("Template ").append(plan.template()).append('\n');
        if (!plan.variables().isEmpty()) {
            out.append("\nVariables\n");
            int width = plan.variables().stream().mapToInt(v -> v.name().length()).max().orElse(0);
            for (Variable v : plan.variables()) {
                Object shown = v.sensitive() ? Redactor.MASK : inline(Values.plain(v.value(), redactor));
                out.append("  ").append(pad(v.name(), width)).append("  ").append(shown).append("   (from ")
                        .append(v.source()).append(")\n");
            }
        }
        for (Build b : plan.builds()) {
            out.append("\nBuild '").append(b.name()).append("' (").append(b.type()).append(" builder, ")
                    .append(b.declaredAt()).append(")\n");
            block(out, Values.fields((Record) b.builder(), redactor), 2);
            section(out, "Steps", b.steps(), redactor);
            section(out, "On error", b.onError(), redactor);
            section(out, "Post", b.post(), redactor);
        }
        return out.toString();
    }

    private static void section(StringBuilder out, String title, List<Step> steps, Redactor redactor) {
        if (steps.isEmpty()) {
            return;
        }
        out.append("  ").append(title).append('\n');
        int n = 1;
        for (Step s : steps) {
            out.append("    ").append(n++).append(". ").append(s.kind())
                    .append(s.spec().runsOnHost() ? " [host]" : "").append("  (line ").append(s.declaredAt().line())
                    .append(")\n");
            Map<String, Object> settings = Values.fields((Record) s.spec(), redactor);
            Map<String, Object> options = Values.fields(s.options(), redactor);
            if (Integer.valueOf(0).equals(options.get("retries"))) {
                options.remove("retries");
            }
            if ("0s".equals(options.get("pauseBefore"))) {
                options.remove("pauseBefore");
            }
            if (Boolean.FALSE.equals(options.get("checkpoint"))) {
                options.remove("checkpoint");
            }
            settings.putAll(options);
            if (s.spec() instanceof ShellStep || s.spec() instanceof ShellLocalStep) {
                if (List.of(0).equals(settings.get("validExitCodes"))) {
                    settings.remove("validExitCodes");
                }
            }
            if (s.spec() instanceof ShellStep shell) {
                // Defaults stay out of the way (the JSON plan has them all).
                removeIf(settings, "executeCommand", ShellStep.defaultExecuteCommand(shell.sudo(), shell.useEnvVarFile()));
                removeIf(settings, "envVarFormat", ShellStep.defaultEnvVarFormat(shell.useEnvVarFile()));
                removeIf(settings, "inlineShebang", ShellStep.DEFAULT_INLINE_SHEBANG);
                removeIf(settings, "remoteFolder", ShellStep.DEFAULT_REMOTE_FOLDER);
                removeIf(settings, "startRetryTimeout", Values.duration(ShellStep.DEFAULT_START_RETRY_TIMEOUT));
                if (shell.inline().isEmpty()) {
                    settings.remove("inlineShebang");
                }
            }
            block(out, settings, 7);
        }
    }

    private static void removeIf(Map<String, Object> settings, String key, Object value) {
        if (value.equals(settings.get(key))) {
            settings.remove(key);
        }
    }

    private static void block(StringBuilder out, Map<String, Object> fields, int indent) {
        int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            Object value = e.getValue();
            if (isEmpty(value)) {
                continue;
            }
            out.append(" ".repeat(indent));
            if (value instanceof Map<?, ?> nested && !isFlat(nested)) {
                out.append(e.getKey()).append('\n');
                @SuppressWarnings("unchecked")
                Map<String, Object> typed = (Map<String, Object>) nested;
                block(out, typed, indent + 2);
            } else if (value instanceof Collection<?> items && items.size() > 1 && e.getKey().equals("inline")) {
                out.append(e.getKey()).append('\n');
                for (Object item : items) {
                    out.append(" ".repeat(indent + 2)).append(item).append('\n');
                }
            } else {
                out.append(pad(e.getKey(), width)).append("  ").append(inline(value)).append('\n');
            }
        }
    }

    private static boolean isFlat(Map<?, ?> map) {
        return map.values().stream().noneMatch(v -> v instanceof Map || v instanceof Collection)
                && !map.containsKey("kind") && map.size() <= 6 && !map.isEmpty() && map.keySet().stream()
                .noneMatch(k -> k.equals("clientSecret") || k.equals("clientJwt"));
    }

    private static boolean isEmpty(Object value) {
        return value == null || Boolean.FALSE.equals(value) || value instanceof Collection<?> c && c.isEmpty()
                || value instanceof Map<?, ?> m && (m.isEmpty() || m.values().stream().allMatch(PlanRenderer::isEmpty));
    }

    private static String inline(Object value) {
        if (value instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("[");
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (isEmpty(e.getValue()) && !(e.getValue() instanceof Boolean)) {
                    continue;
                }
                out.append(first ? "" : ", ").append(e.getKey()).append(": ").append(inline(e.getValue()));
                first = false;
            }
            return out.append(']').toString();
        } else if (value instanceof Collection<?> items) {
            StringBuilder out = new StringBuilder("[");
            boolean first = true;
            for (Object item : items) {
                out.append(first ? "" : ", ").append(inline(item));
                first = false;
            }
            return out.append(']').toString();
        } else if (value instanceof String s) {
            return s.contains("\n") ? "'" + s.replace("\n", "\\n") + "'" : s;
        }
        return String.valueOf(value);
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}
