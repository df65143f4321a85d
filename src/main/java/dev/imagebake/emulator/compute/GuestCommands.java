package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.vm.VmRuntime;
import dev.imagebake.emulator.vm.VmRuntimeException;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Commands that Azure's Linux VM agent would run for an extension (CustomScript, RunCommandLinux), run for real as
 * root inside the machine behind a VM or scale set instance, each on a thread of its own, and their outcome worded
 * as those extensions report it: {@code Enable succeeded: \n[stdout]\n...\n[stderr]\n...}, or {@code Enable failed:
 * failed to execute command: command terminated with exit status=N} followed by the same output.
 */
final class GuestCommands {
    /** The longest a command may run, as Azure's run command allows (90 minutes). */
    static final long TIMEOUT_SECONDS = 90 * 60;
    /** The Linux extensions report the last 4 KiB of each stream. */
    private static final int OUTPUT_LIMIT = 4096;

    /** What a command left: its result, or why it could not run at all. */
    record Outcome(VmRuntime.CommandResult result, String notRun) {
        boolean succeeded() {
            return result != null && result.exitCode() == 0;
        }

        /** The extension's message: {@code Enable succeeded: ...} or {@code Enable failed: ...}. */
        String message() {
            if (result == null) {
                return "Enable failed: " + notRun;
            }
            String head = result.exitCode() == 0 ? "Enable succeeded: "
                    : result.exitCode() < 0 ? "Enable failed: failed to execute command: command timed out after "
                    + TIMEOUT_SECONDS + " seconds"
                    : "Enable failed: failed to execute command: command terminated with exit status="
                    + result.exitCode();
            return head + "\n[stdout]\n" + tail(result.stdout()) + "\n[stderr]\n" + tail(result.stderr());
        }

        String stdout() {
            return result == null ? "" : tail(result.stdout());
        }

        String stderr() {
            return result == null ? "" : tail(result.stderr());
        }
    }

    private final VmRuntime runtime;

    GuestCommands(VmRuntime runtime) {
        this.runtime = runtime;
    }

    /**
     * Runs {@code script} in machine {@code key}, in {@code directory} ({@code /root} when null), in the background
     * and hands the outcome to {@code done}.
     */
    void start(String key, String script, Map<String, String> environment, String directory, String name,
               Consumer<Outcome> done) {
        Thread thread = new Thread(() -> {
            Outcome outcome;
            try {
                outcome = new Outcome(runtime.run(key, script, environment, directory, TIMEOUT_SECONDS), null);
            } catch (VmRuntimeException e) {
                outcome = new Outcome(null, e.getMessage());
            }
            if (runtime.closing()) {
                return; // the emulator stopped the machine: its next start fails the operation (see resumeMachines)
            }
            done.accept(outcome);
        }, "guest-command-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Azure's error for an extension that reported a failure, as an operation's error. */
    static ArmException failure(String extensionName, String publisher, String type, Outcome outcome) {
        return new ArmException(400, "VMExtensionProvisioningError", "VM has reported a failure when processing"
                + " extension '" + extensionName + "' (publisher '" + publisher + "' and type '" + type + "')."
                + " Error message: '" + outcome.message() + "'.");
    }

    /** One instance view status, as the extensions report theirs. */
    static Map<String, Object> status(String code, String displayStatus, String message) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("code", code);
        status.put("level", code.endsWith("/failed") ? "Error" : "Info");
        status.put("displayStatus", displayStatus);
        status.put("message", message);
        return status;
    }

    /** The body of a finished run command: its one status, as {@code value[0]}. */
    static Map<String, Object> runCommandResult(Outcome outcome) {
        return new LinkedHashMap<>(Map.of("value", List.of(status("ProvisioningState/succeeded",
                "Provisioning succeeded", outcome.message()))));
    }

    private static String tail(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= OUTPUT_LIMIT) {
            return text;
        }
        return new String(bytes, bytes.length - OUTPUT_LIMIT, OUTPUT_LIMIT, StandardCharsets.UTF_8);
    }
}
