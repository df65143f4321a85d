package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.VirtualMachineInner;
import dev.imagebake.communicator.ConnectionFailedException;
import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.communicator.SshEndpoint;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.KeptMachineGoneException;
import dev.imagebake.engine.Machine;
import dev.imagebake.engine.ResumeRecord;
import dev.imagebake.util.IoErrors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code build --resume}: logs in to the adopted VM with the key the earlier run kept (the copy it wrote, or the
 * template's own {@code sshPrivateKeyFile}), accepting only the host key that run verified.
 */
final class StepReconnectSsh implements BuildStep {
    private static final Duration CONNECT = Duration.ofSeconds(60);

    private final AzureBuild build;
    private final ResumeRecord.Entry kept;
    private final StepAdoptKept adopted;
    private Machine machine;

    StepReconnectSsh(AzureBuild build, ResumeRecord.Entry kept, StepAdoptKept adopted) {
        this.build = build;
        this.kept = kept;
        this.adopted = adopted;
    }

    @Override
    public String name() {
        return "connect over SSH to the kept VM";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        String privateKey;
        Path ownKeyFile = null;
        if (build.spec.sshPrivateKeyFile() != null) {
            build.ownKey = OwnSshKey.read(context.templateFolder(), build.spec.sshPrivateKeyFile(),
                    "imagebake-" + build.id);
            privateKey = build.ownKey.privateKeyText();
            ownKeyFile = build.ownKey.file();
        } else {
            String file = kept.details().get("keyFile");
            if (file == null) {
                throw new KeptMachineGoneException("the resume record notes no key copy to log in with");
            }
            try {
                privateKey = Files.readString(Path.of(file));
            } catch (IOException e) {
                throw new KeptMachineGoneException("the kept key copy is gone: " + IoErrors.describe(e), e);
            }
        }
        context.secrets().add(privateKey);
        VirtualMachineInner vm = Lro.read("VM " + build.vmName(), () -> build.clients.compute()
                .getVirtualMachines().getByResourceGroup(build.resourceGroup, build.vmName()));
        String address;
        Map<String, String> addressTags = Map.of();
        if (build.publicIpId != null) {
            var pip = Lro.read("public IP address " + build.name("pip"), () -> build.clients.network()
                    .getPublicIpAddresses().getByResourceGroup(build.resourceGroup, build.name("pip")));
            address = pip.ipAddress();
            addressTags = pip.tags() == null ? Map.of() : pip.tags();
        } else {
            var nic = Lro.read("network interface " + build.name("nic"), () -> build.clients.network()
                    .getNetworkInterfaces().getByResourceGroup(build.resourceGroup, build.name("nic")));
            address = nic.ipConfigurations().get(0).privateIpAddress();
        }
        if (address == null) {
            throw new KeptMachineGoneException("the kept VM " + build.vmName() + " has no IP address");
        }
        int port = port(vm.tags(), addressTags);
        SshEndpoint endpoint = new SshEndpoint(address, port, build.spec.sshUser(), privateKey, null, null, false,
                List.of(kept.hostKey()), null, false, null, build.spec.sshReadWriteTimeout() == null
                ? null : new SshEndpoint.ReadWriteTimeout(build.spec.sshReadWriteTimeout(), "sshReadWriteTimeout"));
        machine = new Machine(endpoint, ownKeyFile, null, build.spec.sshTimeout(), context);
        machine.keptFolderPrefix(AzureBuild.keptFolderPrefix(build.id));
        SshCommunicator communicator;
        try {
            communicator = machine.reconnect(build.spec.sshTimeout().compareTo(CONNECT) < 0 ? build.spec.sshTimeout()
                    : CONNECT);
        } catch (ConnectionFailedException e) {
            machine.close();
            machine = null;
            throw new KeptMachineGoneException("cannot log in to the kept VM at " + address + ":" + port + ": "
                    + e.getMessage(), e);
        }
        context.machine(machine);
        adopted.own();
        context.info("connected to " + endpoint.describe() + " (host key "
                + SshCommunicator.fingerprint(communicator.hostKey()) + ", as pinned by the resume record)");
    }

    /** The emulator's SSH port tag (see {@link StepConnectSsh#PORT_TAG}), else 22. */
    private static int port(Map<String, String> vmTags, Map<String, String> addressTags) {
        for (Map<String, String> tags : List.of(vmTags == null ? Map.<String, String>of() : vmTags, addressTags)) {
            String value = tags.get(StepConnectSsh.PORT_TAG);
            if (value != null && value.matches("\\d{1,5}")) {
                return Integer.parseInt(value);
            }
        }
        return 22;
    }

    @Override
    public void cleanup(BuildContext context) {
        if (machine != null) {
            machine.close();
        }
    }
}
