package dev.imagebake.report;

import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.BuildResult;
import dev.imagebake.engine.Reporter;
import dev.imagebake.util.Json;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --json}: one JSON object per line per event, for CI systems (schema: docs/build-events.md). */
public final class JsonReporter implements Reporter {
    private final PrintStream out;

    public JsonReporter(PrintStream out) {
        this.out = out;
    }

    private void emit(String event, String build, Object... fields) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", Instant.now().toString());
        line.put("event", event);
        line.put("build", build);
        for (int i = 0; i + 1 < fields.length; i += 2) {
            line.put((String) fields[i], fields[i + 1]);
        }
        String text = Json.write(line);
        synchronized (out) {
            out.println(text);
            out.flush();
        }
    }

    /** A problem in the template, which stops the build before it starts: an {@code error} event with no build. */
    public void templateError(String file, int line, int column, String message) {
        emit("error", null, "level", "error", "text", file + ":" + line + ":" + column + ": " + message, "file", file,
                "line", line, "column", column, "message", message);
    }

    @Override
    public void buildStarted(String build, String type) {
        emit("build.started", build, "builderType", type);
    }

    @Override
    public void stepStarted(String build, int index, String step) {
        emit("step.started", build, "index", index, "step", step);
    }

    @Override
    public void output(String build, String step, String stream, String line) {
        emit("output", build, "step", step, "stream", stream, "line", line);
    }

    @Override
    public void stepFinished(String build, int index, String step, boolean ok, Duration took, String error) {
        emit("step.finished", build, "index", index, "step", step, "ok", ok, "durationMs", took.toMillis(),
                "error", error);
    }

    @Override
    public void message(String build, Level level, String text) {
        emit(level == Level.ERROR ? "error" : "message", build, "level", level.name().toLowerCase(), "text", text);
    }

    @Override
    public void event(String build, String event, Map<String, Object> fields) {
        Object[] pairs = new Object[fields.size() * 2];
        int i = 0;
        for (Map.Entry<String, Object> field : fields.entrySet()) {
            pairs[i++] = field.getKey();
            pairs[i++] = field.getValue();
        }
        emit(event, build, pairs);
    }

    @Override
    public void artifact(String build, Artifact artifact) {
        emit("artifact", build, "builderType", artifact.builderType(), "id", artifact.id(), "files",
                artifact.files(), "details", artifact.details());
    }

    @Override
    public void cleanup(String build, String step, boolean ok, String error) {
        emit("cleanup", build, "step", step, "ok", ok, "error", error);
    }

    @Override
    public void buildFinished(BuildResult result) {
        emit("build.finished", result.build(), "status", result.status().name().toLowerCase().replace('_', '-'), "durationMs",
                result.duration().toMillis(), "error", result.error(), "artifacts",
                result.artifacts().stream().map(Artifact::id).toList(), "leftovers", result.leftovers());
    }
}
