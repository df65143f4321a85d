package dev.imagebake.builder.ssh;

import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.communicator.SshEndpoint;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.Machine;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.SshBuilderSpec;

import java.nio.file.Path;
import java.util.List;

/** Connects to an existing machine and verifies its host key: the first step of {@code builder ssh}. */
final class StepConnect implements BuildStep {
    private final SshBuilderSpec spec;
    private Machine machine;

    StepConnect(SshBuilderSpec spec) {
        this.spec = spec;
    }

    @Override
    public String name() {
        return "connect";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        SshEndpoint endpoint = endpoint(spec, context.templateFolder());
        if (spec.insecureHostKey()) {
            context.warn("insecureHostKey is on: the host key of " + spec.host() + " is NOT verified");
        }
        machine = new Machine(endpoint, keyFile(context, spec.privateKeyFile()),
                spec.bastion() == null ? null : keyFile(context, spec.bastion().privateKeyFile()),
                spec.connectTimeout(), context);
        context.machine(machine);
        try {
            SshCommunicator communicator = machine.communicator();
            context.info("connected to " + endpoint.describe() + " (host key "
                    + SshCommunicator.fingerprint(communicator.hostKey()) + ")");
        } catch (dev.imagebake.communicator.ConnectionFailedException e) {
            throw new StepFailedException(e.getMessage(), e);
        }
    }

    /** The key file the template read a key from, for a person to log in with; null when there is none. */
    private static Path keyFile(BuildContext context, String relative) {
        return relative == null || context.templateFolder() == null ? null
                : context.templateFolder().resolve(relative).toAbsolutePath().normalize();
    }

    static SshEndpoint endpoint(SshBuilderSpec spec, Path folder) {
        SshEndpoint via = null;
        SshEndpoint.ReadWriteTimeout limit = spec.readWriteTimeout() == null ? null
                : new SshEndpoint.ReadWriteTimeout(spec.readWriteTimeout(), "readWriteTimeout");
        if (spec.bastion() != null) {
            SshBuilderSpec.Bastion b = spec.bastion();
            via = new SshEndpoint(b.host(), b.port(), b.user(), b.privateKey(), null, b.password(), b.agent(),
                    b.hostKey() == null ? List.of() : List.of(b.hostKey()), null, b.insecureHostKey(), null, limit);
        }
        Path knownHosts = spec.knownHosts() == null ? null : folder.resolve(spec.knownHosts());
        return new SshEndpoint(spec.host(), spec.port(), spec.user(), spec.privateKey(), null, spec.password(),
                spec.agent(), spec.hostKey() == null ? List.of() : List.of(spec.hostKey()), knownHosts,
                spec.insecureHostKey(), via, limit);
    }

    @Override
    public void cleanup(BuildContext context) {
        if (machine != null) {
            machine.close();
        }
    }
}
