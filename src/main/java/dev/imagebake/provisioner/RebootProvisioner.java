package dev.imagebake.provisioner;

import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.RebootStep;

/**
 * {@code provision reboot}: runs the reboot command, expects the connection to drop, then reconnects (verifying
 * the same host key) until the machine answers a command again or the wait times out.
 */
public final class RebootProvisioner extends Provisioner<RebootStep> {
    public RebootProvisioner(RebootStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        var machine = context.machine();
        machine.communicator().run(RemoteCommand.of(spec.command()), (stream, line) ->
                context.reporter().output(context.name(), name(), stream.name().toLowerCase(), line));
        long deadline = System.nanoTime() + spec.waitTimeout().toNanos();
        // Wait for the old connection to go away, so that we do not "reconnect" before the reboot happened.
        var old = machine.communicator();
        while (old.isConnected() && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        try (AutoCloseable waiting = context.reporter().waiting(context.name(), "waiting for the machine to come back")) {
            long left = Math.max(1, deadline - System.nanoTime());
            var fresh = machine.reconnect(java.time.Duration.ofNanos(left));
            var result = fresh.run(RemoteCommand.of("true"), (s, l) -> { });
            if (result.exitStatus() != 0) {
                throw new StepFailedException("the machine came back but does not run commands");
            }
        } catch (dev.imagebake.communicator.ConnectionFailedException e) {
            throw new StepFailedException("the machine did not come back within "
                    + dev.imagebake.engine.Durations.format(spec.waitTimeout()) + ": " + e.getMessage(), e);
        }
        context.info("the machine is back");
    }
}
