package dev.imagebake.report;

import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.BuildResult;
import dev.imagebake.engine.Durations;
import dev.imagebake.engine.Reporter;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What people see: every line starts with the build's name (coloured on a terminal unless NO_COLOR is set),
 * steps are announced and timed, remote output streams live, and on a terminal a wait of more than two seconds
 * shows its elapsed time. Without a terminal the output stays plain and line by line.
 */
public final class ConsoleReporter implements Reporter {
    private static final String[] COLORS = {"\u001b[36m", "\u001b[35m", "\u001b[34m", "\u001b[32m", "\u001b[33m"};
    private static final String RESET = "\u001b[0m";
    private static final String RED = "\u001b[31m";
    private static final String YELLOW = "\u001b[33m";
    private final PrintStream out;
    private final boolean color;
    private final boolean terminal;
    private final Map<String, String> buildColors = new ConcurrentHashMap<>();
    private String liveLine;

    public ConsoleReporter(PrintStream out, boolean color, boolean terminal) {
        this.out = out;
        this.color = color;
        this.terminal = terminal;
    }

    private String prefix(String build) {
        return prefix(build, "");
    }

    /** {@code box: }, or with a label {@code box (stderr): }. */
    private String prefix(String build, String label) {
        String tail = (label.isEmpty() ? "" : " (" + label + ")") + ": ";
        if (!color) {
            return build + tail;
        }
        String c = buildColors.computeIfAbsent(build, b -> COLORS[buildColors.size() % COLORS.length]);
        return c + build + RESET + tail;
    }

    private synchronized void print(String line) {
        if (liveLine != null) {
            out.print("\r\u001b[2K");
        }
        out.println(line);
        if (liveLine != null) {
            out.print(liveLine);
        }
        out.flush();
    }

    private String paint(String code, String text) {
        return color ? code + text + RESET : text;
    }

    @Override
    public void buildStarted(String build, String type) {
        print("==> " + prefix(build) + "starting (" + type + " builder)");
    }

    @Override
    public void stepStarted(String build, int index, String step) {
        print("==> " + prefix(build) + step);
    }

    @Override
    public void output(String build, String step, String stream, String line) {
        print("    " + prefix(build, "stderr".equals(stream) ? "stderr" : "") + line);
    }

    @Override
    public void stepFinished(String build, int index, String step, boolean ok, Duration took, String error) {
        if (ok) {
            print("==> " + prefix(build) + step + " done in " + Durations.format(took));
        } else {
            print("==> " + prefix(build) + paint(RED, step + " failed after " + Durations.format(took) + ": "
                    + error));
        }
    }

    @Override
    public void message(String build, Level level, String text) {
        String[] lines = text.split("\\R", -1);
        switch (level) {
            case WARN -> print("==> " + prefix(build) + paint(YELLOW, "warning: " + lines[0]));
            case ERROR -> print("==> " + prefix(build) + paint(RED, lines[0]));
            default -> print("    " + prefix(build) + lines[0]);
        }
        // a table or a list keeps its build prefix on every line, so that the output stays greppable per build
        for (int i = 1; i < lines.length; i++) {
            print("    " + prefix(build) + lines[i]);
        }
    }

    @Override
    public AutoCloseable waiting(String build, String what) {
        if (!terminal) {
            return () -> { };
        }
        long started = System.nanoTime();
        Thread ticker = new Thread(() -> {
            try {
                Thread.sleep(2_000);
                while (true) {
                    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
                    synchronized (this) {
                        liveLine = "    " + prefix(build) + what + " … " + seconds + "s";
                        out.print("\r\u001b[2K" + liveLine);
                        out.flush();
                    }
                    Thread.sleep(1_000);
                }
            } catch (InterruptedException e) {
                // the wait is over
            }
        }, "imagebake-ticker");
        ticker.setDaemon(true);
        ticker.start();
        return () -> {
            ticker.interrupt();
            ticker.join(1_000);
            synchronized (this) {
                if (liveLine != null) {
                    out.print("\r\u001b[2K");
                    liveLine = null;
                    out.flush();
                }
            }
        };
    }

    @Override
    public void artifact(String build, Artifact artifact) {
        print("==> " + prefix(build) + "artifact: " + artifact.id());
    }

    @Override
    public void cleanup(String build, String step, boolean ok, String error) {
        if (!ok) {
            print("==> " + prefix(build) + paint(RED, "cleanup of " + step + " failed: " + error));
        }
    }

    @Override
    public void buildFinished(BuildResult result) {
        String how = switch (result.status()) {
            case SUCCEEDED -> "finished in " + Durations.format(result.duration());
            case SUCCEEDED_CLEANUP_INTERRUPTED -> paint(YELLOW, "finished in " + Durations.format(result.duration())
                    + ", but the cleanup was interrupted: what is left is listed below");
            case FAILED -> paint(RED, "FAILED after " + Durations.format(result.duration()) + ": " + result.error());
            case CANCELLED -> paint(YELLOW, "cancelled after " + Durations.format(result.duration()));
        };
        print("==> " + prefix(result.build()) + how);
    }

    /** The table printed after all builds: build, result, duration, artifact; then anything left behind. */
    public static String summary(List<BuildResult> results) {
        StringBuilder out = new StringBuilder("\n");
        int width = Math.max(5, results.stream().mapToInt(r -> r.build().length()).max().orElse(5));
        out.append(String.format("%-" + width + "s  %-9s  %-8s  %s%n", "Build", "Result", "Duration", "Artifact"));
        for (BuildResult r : results) {
            String artifact = r.artifacts().isEmpty() ? "-" : String.join(", ",
                    r.artifacts().stream().map(Artifact::id).toList());
            out.append(String.format("%-" + width + "s  %-9s  %-8s  %s%n", r.build(),
                    r.status().label(), Durations.format(r.duration()), artifact));
        }
        for (BuildResult r : results) {
            if (!r.leftovers().isEmpty()) {
                out.append("\nLeft behind by ").append(r.build()).append(":\n");
                r.leftovers().forEach(l -> out.append("  ").append(l).append('\n'));
            }
        }
        return out.toString();
    }
}
