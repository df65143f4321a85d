package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.ConnectionFailedException;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.Durations;
import dev.imagebake.engine.Machine;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.RebootStep;
import dev.imagebake.util.DaemonThreads;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code provision reboot}: proves that the machine rebooted by its boot id ({@code /proc/sys/kernel/random/boot_id},
 * new at every boot of a Linux kernel). It reads the boot id, runs the command, waits up to the shutdown timeout for
 * the machine to go down, then up to the wait timeout for it to answer again (verifying the same host key), and
 * reads the boot id again. A command that fails without going down, a machine that stays up and one that comes back
 * with the same boot id fail the step.
 */
public final class RebootProvisioner extends Provisioner<RebootStep> {
    private static final String BOOT_ID = "cat /proc/sys/kernel/random/boot_id";
    /** How long a probe over a connection may take before the machine counts as going down. */
    private static final Duration PROBE_WAIT = Duration.ofSeconds(10);
    private static final long POLL_MILLIS = 250;
    private static final long PROBE_EVERY_MILLIS = 1_000;
    private static final int OUTPUT_LINES_KEPT = 10;
    private static final long FAILED_COMMAND_GRACE_MILLIS = 2_000;

    public RebootProvisioner(RebootStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        Machine machine = context.machine();
        SshCommunicator before = machine.communicator();
        String bootId = bootIdBefore(before);
        List<String> output = new ArrayList<>();
        long started = System.nanoTime();
        CompletableFuture<CommandResult> command = DaemonThreads.start("reboot-step", () -> before.run(RemoteCommand.of(spec.command()),
                (stream, line) -> {
                    synchronized (output) {
                        output.add(line);
                        if (output.size() > OUTPUT_LINES_KEPT) {
                            output.remove(0);
                        }
                    }
                    context.reporter().output(context.name(), name(), stream.name().toLowerCase(), line);
                }));
        try (AutoCloseable waiting = context.reporter().waiting(context.name(),
                "waiting for the machine to go down")) {
            awaitDown(before, bootId, command, output, started);
        }
        try (AutoCloseable waiting = context.reporter().waiting(context.name(),
                "waiting for the machine to come back")) {
            String after = awaitBack(machine, bootId, started);
            context.info("the machine is back (boot id " + bootId + " before, " + after + " now)");
        }
    }

    private String bootIdBefore(SshCommunicator machine) throws Exception {
        List<String> lines = new ArrayList<>();
        CommandResult result = machine.run(RemoteCommand.of(BOOT_ID), (stream, line) -> lines.add(line));
        if (result.disconnected() || result.exitStatus() != 0 || lines.isEmpty() || lines.get(0).isBlank()) {
            throw new StepFailedException("cannot read the boot id of " + machine.describe() + " before rebooting ("
                    + BOOT_ID + (result.disconnected() ? ": the connection dropped" : " exited with status "
                    + result.exitStatus() + lastLines(lines)) + "); a reboot step needs a Linux machine");
        }
        return lines.get(0).strip();
    }

    /** Returns once the machine is going down: the connection dropped, or it no longer answers. */
    private void awaitDown(SshCommunicator before, String bootId, CompletableFuture<CommandResult> command,
                           List<String> output, long started) throws Exception {
        long deadline = started + spec.shutdownTimeout().toNanos();
        long nextProbe = System.nanoTime();
        while (true) {
            CommandResult result = command.isDone() ? resultOf(command) : null;
            if (result != null && !result.disconnected() && result.signal() == null && result.exitStatus() != 0
                    && stillUp(before, bootId)) {
                throw new StepFailedException("the reboot command `" + spec.command() + "` exited with status "
                        + result.exitStatus() + " and the machine did not go down" + outputOf(output)
                        + "; check the command, and that the user may run it (sudo without a password)");
            }
            if (!before.isConnected()) {
                return;
            }
            if (command.isDone() && System.nanoTime() - nextProbe >= 0) {
                if (!bootId.equals(probe(before))) {
                    return; // no answer over the old connection: it is on its way down
                }
                nextProbe = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROBE_EVERY_MILLIS);
            }
            if (System.nanoTime() - deadline > 0) {
                before.interruptCommands();
                throw new StepFailedException("the machine did not go down within "
                        + Durations.format(spec.shutdownTimeout()) + " of `" + spec.command() + "` ("
                        + (command.isDone() ? "which exited with status 0" : "which is still running")
                        + "): the connection stayed up and the boot id is unchanged (" + bootId + ")"
                        + outputOf(output) + "; check that the command reboots the machine, or give a slow"
                        + " shutdown more time with shutdownTimeout");
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * After the command failed: whether the machine is still up as before. A shutdown can end the command with a
     * status of its own (143 when its shell got TERM) a moment before the connection drops, so it is given that
     * moment and asked once more.
     */
    private static boolean stillUp(SshCommunicator before, String bootId) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FAILED_COMMAND_GRACE_MILLIS);
        while (before.isConnected() && System.nanoTime() - end < 0) {
            Thread.sleep(POLL_MILLIS);
        }
        return before.isConnected() && bootId.equals(probe(before));
    }

    /** Reconnects until the machine answers with a new boot id, and returns it. */
    private String awaitBack(Machine machine, String bootId, long started) throws Exception {
        long shutdownDeadline = started + spec.shutdownTimeout().toNanos();
        long deadline = System.nanoTime() + spec.waitTimeout().toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            SshCommunicator fresh;
            try {
                if (left <= 0) {
                    throw new ConnectionFailedException("no answer", true, null);
                }
                fresh = machine.reconnect(Duration.ofNanos(left));
            } catch (ConnectionFailedException e) {
                if (!e.retryable()) {
                    throw new StepFailedException("the machine went down, but connecting to it again failed: "
                            + e.getMessage(), e);
                }
                throw new StepFailedException("the machine went down but did not come back within "
                        + Durations.format(spec.waitTimeout()) + " (" + e.getMessage() + "); check its console,"
                        + " or give a slow boot more time with waitTimeout", e);
            }
            String now = probe(fresh);
            if (now != null && !now.equals(bootId)) {
                return now;
            }
            if (now != null && System.nanoTime() - shutdownDeadline > 0) {
                throw new StepFailedException(fresh.describe() + " did not reboot: boot id unchanged (" + bootId
                        + "): the connection dropped, but the machine answers as it did before `" + spec.command()
                        + "`; check that the command reboots the machine");
            }
            // the same boot id (still going down) or no answer (still booting): try again
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** The machine's boot id, or null when it does not answer within {@link #PROBE_WAIT}. */
    private static String probe(SshCommunicator machine) throws InterruptedException {
        List<String> lines = new ArrayList<>();
        CompletableFuture<CommandResult> probe = DaemonThreads.start("reboot-step", () -> machine.run(RemoteCommand.of(BOOT_ID),
                (stream, line) -> {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }));
        try {
            CommandResult result = probe.get(PROBE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            synchronized (lines) {
                return result.disconnected() || result.exitStatus() != 0 || lines.isEmpty() ? null
                        : lines.get(0).strip();
            }
        } catch (TimeoutException e) {
            machine.close(); // a connection that does not answer is of no more use; this also ends the probe
            return null;
        } catch (ExecutionException e) {
            return null;
        }
    }

    private static CommandResult resultOf(CompletableFuture<CommandResult> command) {
        try {
            return command.join();
        } catch (RuntimeException e) {
            return null; // the command could not even run: the connection went away
        }
    }

    private static String outputOf(List<String> output) {
        synchronized (output) {
            return output.isEmpty() ? " (it printed nothing)" : "; its output: " + String.join(" | ", output);
        }
    }

    private static String lastLines(List<String> lines) {
        return lines.isEmpty() ? "" : ": " + String.join(" | ", lines.subList(Math.max(0, lines.size()
                - OUTPUT_LINES_KEPT), lines.size()));
    }
}
