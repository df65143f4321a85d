package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command on this host in the template's folder, streaming its output lines to the build's reporter, each
 * labelled with its stream.
 */
final class LocalProcess {
    private LocalProcess() {
    }

    /**
     * @return the exit status
     * @throws InterruptedException on a timeout or Ctrl-C, once the command and everything it started are gone
     */
    static int run(BuildContext context, String step, List<String> command, Map<String, String> env, String stdin)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(context.templateFolder().toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        // Reading a pipe cannot be interrupted, waiting for the process can: each stream is read in a thread of its
        // own, so that a timeout ends the command even while it prints nothing, and each line keeps its label.
        Thread output = reader(context, step, process.getInputStream(), "stdout");
        Thread errors = reader(context, step, process.getErrorStream(), "stderr");
        try {
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the command ended without reading all of its input; its exit status tells how it went
            }
            int status = process.waitFor();
            output.join();
            errors.join();
            return status;
        } catch (InterruptedException e) {
            stop(process);
            output.join(5_000);
            errors.join(5_000);
            throw e;
        }
    }

    private static Thread reader(BuildContext context, String step, InputStream stream, String label) {
        Thread reader = new Thread(() -> copyLines(context, step, stream, label), "local-" + label);
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    private static void copyLines(BuildContext context, String step, InputStream stream, String label) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                context.reporter().output(context.name(), step, label, line);
            }
        } catch (IOException e) {
            // the process was stopped; what it printed so far has been reported
        }
    }

    /** Ends the command and what it started (a shell's children would otherwise live on), TERM first, then KILL. */
    private static void stop(Process process) {
        List<ProcessHandle> all = new java.util.ArrayList<>(process.descendants().toList());
        all.add(0, process.toHandle());
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (ProcessHandle handle : all) {
            try {
                handle.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                handle.destroyForcibly();
            }
        }
    }
}
