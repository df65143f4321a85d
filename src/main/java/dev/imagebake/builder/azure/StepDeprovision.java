package dev.imagebake.builder.azure;

import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;

/**
 * The last thing that runs on the VM: the Azure agent's deprovision, which removes the admin user, its keys, the
 * host keys and cloud-init's state so that VMs made from the image provision afresh. It removes the very user
 * imagebake is logged in as, so a connection that drops at this point is the expected end, not a failure.
 */
final class StepDeprovision implements BuildStep {
    static final String COMMAND = "sudo /usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync";

    @Override
    public String name() {
        return "deprovision";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        CommandResult result;
        try {
            result = context.communicator().run(RemoteCommand.of(COMMAND), (stream, line) ->
                    context.reporter().output(context.name(), name(), stream.name().toLowerCase(), line));
        } catch (java.io.IOException e) {
            context.info("the connection closed during deprovisioning, as expected");
            return;
        }
        if (result.disconnected()) {
            context.info("the connection closed during deprovisioning, as expected");
        } else if (result.exitStatus() != 0) {
            throw new StepFailedException("`" + COMMAND + "` exited with status " + result.exitStatus());
        }
        context.machine().close();
    }
}
