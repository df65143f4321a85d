package dev.imagebake.plan;

import dev.imagebake.util.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The plan as JSON, in the stable schema documented in src/docs/plan-json.md. Sensitive values are redacted. */
public final class PlanJson {
    public static final int SCHEMA_VERSION = 1;

    private PlanJson() {
    }

    public static String render(Plan plan) {
        return Json.writePretty(toMap(plan));
    }

    public static Map<String, Object> toMap(Plan plan) {
        Redactor redactor = plan.redactor();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schemaVersion", SCHEMA_VERSION);
        root.put("template", plan.template());
        List<Object> variables = new ArrayList<>();
        for (Variable v : plan.variables()) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", v.name());
            out.put("type", v.type());
            out.put("description", v.description());
            out.put("sensitive", v.sensitive());
            out.put("value", v.sensitive() ? Redactor.MASK : Values.plain(v.value(), redactor));
            out.put("source", v.source());
            out.put("declaredAt", Values.position(v.declaredAt()));
            variables.add(out);
        }
        root.put("variables", variables);
        List<Object> builds = new ArrayList<>();
        for (Build b : plan.builds()) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", b.name());
            out.put("type", b.type());
            out.put("declaredAt", Values.position(b.declaredAt()));
            out.put("builder", Values.plain(b.builder(), redactor));
            out.put("steps", steps(b.steps(), redactor));
            out.put("onError", steps(b.onError(), redactor));
            out.put("post", steps(b.post(), redactor));
            builds.add(out);
        }
        root.put("builds", builds);
        return root;
    }

    private static List<Object> steps(List<Step> steps, Redactor redactor) {
        List<Object> out = new ArrayList<>();
        for (Step s : steps) {
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("kind", s.kind());
            step.put("runsOn", s.spec().runsOnHost() ? "host" : "machine");
            step.put("declaredAt", Values.position(s.declaredAt()));
            step.put("options", Values.plain(s.options(), redactor));
            step.put("settings", Values.plain(s.spec(), redactor));
            out.add(step);
        }
        return out;
    }
}
