package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildContext;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Runs a command on this host in the template's folder, streaming its output lines to the build's reporter. */
final class LocalProcess {
    private LocalProcess() {
    }

    /** @return the exit status */
    static int run(BuildContext context, String step, List<String> command, Map<String, String> env, String stdin)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(context.templateFolder().toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        // Standard error is read in a thread of its own, so that each line keeps its stream's label.
        Thread errors = new Thread(() -> copyLines(context, step, process.getErrorStream(), "stderr"),
                "local-stderr");
        errors.setDaemon(true);
        errors.start();
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                context.reporter().output(context.name(), step, "stdout", line);
            }
        } finally {
            if (process.isAlive() && Thread.currentThread().isInterrupted()) {
                process.destroy(); // a timeout or Ctrl-C: do not leave the local command behind
            }
        }
        int status = process.waitFor();
        errors.join(5_000);
        return status;
    }

    private static void copyLines(BuildContext context, String step, java.io.InputStream stream, String label) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                context.reporter().output(context.name(), step, label, line);
            }
        } catch (IOException e) {
            // the process was stopped; what it printed so far has been reported
        }
    }
}
