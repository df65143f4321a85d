package dev.imagebake.report;

import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.BuildResult;
import dev.imagebake.engine.Reporter;
import dev.imagebake.engine.Secrets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Fans events out to several reporters, redacting every text first: no reporter ever sees a secret. */
public final class Reporters implements Reporter {
    private final List<Reporter> targets;
    private final Secrets secrets;

    public Reporters(Secrets secrets, List<Reporter> targets) {
        this.secrets = secrets;
        this.targets = List.copyOf(targets);
    }

    private String r(String text) {
        return text == null ? null : secrets.redact(text);
    }

    @Override
    public void buildStarted(String build, String type) {
        targets.forEach(t -> t.buildStarted(build, type));
    }

    @Override
    public void stepStarted(String build, int index, String step) {
        targets.forEach(t -> t.stepStarted(build, index, r(step)));
    }

    @Override
    public void output(String build, String step, String stream, String line) {
        String clean = r(line);
        targets.forEach(t -> t.output(build, r(step), stream, clean));
    }

    @Override
    public void stepFinished(String build, int index, String step, boolean ok, Duration took, String error) {
        targets.forEach(t -> t.stepFinished(build, index, r(step), ok, took, r(error)));
    }

    @Override
    public void message(String build, Level level, String text) {
        targets.forEach(t -> t.message(build, level, r(text)));
    }

    @Override
    public AutoCloseable waiting(String build, String what) {
        List<AutoCloseable> handles = new ArrayList<>();
        targets.forEach(t -> handles.add(t.waiting(build, r(what))));
        return () -> {
            for (AutoCloseable h : handles) {
                h.close();
            }
        };
    }

    @Override
    public void event(String build, String event, java.util.Map<String, Object> fields) {
        // Fields are IDs, counts and reasons; reasons can quote remote output, so they are redacted as text.
        java.util.Map<String, Object> clean = new java.util.LinkedHashMap<>();
        fields.forEach((k, v) -> clean.put(k, v instanceof String s ? r(s) : v instanceof java.util.Map<?, ?> m
                ? redacted(m) : v));
        targets.forEach(t -> t.event(build, event, clean));
    }

    private java.util.Map<String, Object> redacted(java.util.Map<?, ?> map) {
        java.util.Map<String, Object> clean = new java.util.LinkedHashMap<>();
        map.forEach((k, v) -> clean.put(String.valueOf(k), v instanceof String s ? r(s) : v));
        return clean;
    }

    @Override
    public void artifact(String build, Artifact artifact) {
        java.util.Map<String, String> details = new java.util.LinkedHashMap<>();
        artifact.details().forEach((k, v) -> details.put(k, r(v)));
        Artifact clean = new Artifact(artifact.builderType(), r(artifact.id()),
                artifact.files().stream().map(this::r).toList(), details);
        targets.forEach(t -> t.artifact(build, clean));
    }

    @Override
    public void cleanup(String build, String step, boolean ok, String error) {
        targets.forEach(t -> t.cleanup(build, r(step), ok, r(error)));
    }

    @Override
    public void buildFinished(BuildResult result) {
        BuildResult clean = new BuildResult(result.build(), result.status(), result.duration(), result.artifacts(),
                r(result.error()), result.leftovers().stream().map(this::r).toList());
        targets.forEach(t -> t.buildFinished(clean));
    }
}
