package dev.imagebake.report;

import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.BuildResult;
import dev.imagebake.engine.Reporter;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/** {@code --log-file}: every event with a timestamp, plain text, for reading after the fact. */
public final class LogFileReporter implements Reporter {
    private final PrintStream out;

    public LogFileReporter(PrintStream out) {
        this.out = out;
    }

    private void log(String build, String text) {
        synchronized (out) {
            out.println(Instant.now() + " [" + build + "] " + text);
            out.flush();
        }
    }

    @Override
    public void buildStarted(String build, String type) {
        log(build, "build started, " + type + " builder");
    }

    @Override
    public void stepStarted(String build, int index, String step) {
        log(build, "step " + index + " started: " + step);
    }

    @Override
    public void output(String build, String step, String stream, String line) {
        log(build, step + " " + stream + ": " + line);
    }

    @Override
    public void stepFinished(String build, int index, String step, boolean ok, Duration took, String error) {
        log(build, "step " + index + " " + (ok ? "succeeded" : "failed: " + error) + " in " + took.toMillis() + " ms");
    }

    @Override
    public void message(String build, Level level, String text) {
        log(build, level + " " + text);
    }

    @Override
    public void artifact(String build, Artifact artifact) {
        log(build, "artifact " + artifact.id() + " " + artifact.details());
    }

    @Override
    public void cleanup(String build, String step, boolean ok, String error) {
        log(build, "cleanup of " + step + (ok ? " done" : " failed: " + error));
    }

    @Override
    public void buildFinished(BuildResult result) {
        log(result.build(), "build " + result.status() + " in " + result.duration().toMillis() + " ms"
                + (result.error() == null ? "" : ": " + result.error()) + " leftovers=" + result.leftovers());
    }
}
