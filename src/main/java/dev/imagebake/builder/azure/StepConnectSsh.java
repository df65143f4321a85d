package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.VirtualMachineInner;
import com.azure.resourcemanager.compute.models.InstanceViewStatus;
import com.azure.resourcemanager.network.fluent.models.NetworkInterfaceInner;
import com.azure.resourcemanager.network.fluent.models.PublicIpAddressInner;
import dev.imagebake.communicator.ConnectionFailedException;
import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.communicator.SshEndpoint;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.Durations;
import dev.imagebake.engine.Machine;
import dev.imagebake.engine.StepFailedException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Waits for SSH on the build VM and logs in with the generated key, accepting only the host key imagebake put there
 * through cloud-init. When it cannot, it says why: the VM's power and provisioning state, the address and port tried,
 * and who the security group admits.
 */
final class StepConnectSsh implements BuildStep {
    /**
     * A port other than 22, published by imagebake's emulator on the VM (and its public address) when it cannot bind
     * port 22; Azure never sets it.
     */
    static final String PORT_TAG = "imagebake-emulator-ssh-port";

    private static final Duration ROUND = Duration.ofSeconds(5);
    private static final int SERIAL_LOG_LINES = 20;

    private final AzureBuild build;
    private Machine machine;

    StepConnectSsh(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return "connect over SSH";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        VirtualMachineInner vm = Lro.read("VM " + build.vmName(), () -> build.clients.compute()
                .getVirtualMachines().getByResourceGroup(build.resourceGroup, build.vmName()));
        String address;
        Map<String, String> addressTags = Map.of();
        if (build.publicIpId != null) {
            PublicIpAddressInner pip = Lro.read("public IP address " + build.name("pip"), () -> build.clients
                    .network().getPublicIpAddresses().getByResourceGroup(build.resourceGroup, build.name("pip")));
            address = pip.ipAddress();
            addressTags = pip.tags() == null ? Map.of() : pip.tags();
        } else {
            NetworkInterfaceInner nic = Lro.read("network interface " + build.name("nic"), () -> build.clients
                    .network().getNetworkInterfaces().getByResourceGroup(build.resourceGroup, build.name("nic")));
            address = nic.ipConfigurations().get(0).privateIpAddress();
        }
        if (address == null) {
            throw new StepFailedException("the build VM has no IP address yet (" + build.publicIpId + ")");
        }
        int port = port(vm.tags(), addressTags);
        String privateKey = build.clientPrivateKey();
        context.secrets().add(privateKey, build.clientPublicLine());
        List<String> hostKeys = build.cache != null && build.cache.hit() != null ? build.cache.adoptMachine(context)
                : List.of(build.hostKey.fingerprint());
        SshEndpoint endpoint = new SshEndpoint(address, port, build.spec.sshUser(), privateKey, null, null, false,
                hostKeys, null, false, null, build.spec.sshReadWriteTimeout() == null
                ? null : new SshEndpoint.ReadWriteTimeout(build.spec.sshReadWriteTimeout(), "sshReadWriteTimeout"));
        // A person logging in to a kept machine is pointed at the user's own key file, never at a copy of it.
        machine = new Machine(endpoint, build.ownKey == null ? null : build.ownKey.file(), null,
                build.spec.sshTimeout(), context);
        machine.keptFolderPrefix(AzureBuild.keptFolderPrefix(build.id)); // recorded in the resources' tags, for gc
        context.machine(machine);
        SshCommunicator communicator = connect(context, machine, address, port);
        context.info("connected to " + endpoint.describe() + " (host key "
                + SshCommunicator.fingerprint(communicator.hostKey()) + (hostKeys.contains(build.hostKey.fingerprint())
                ? ", as injected)" : ", as the machine's run command showed it)"));
    }

    /** Tries in short rounds so that a cancelled build stops waiting at once, up to {@code sshTimeout} in all. */
    private SshCommunicator connect(BuildContext context, Machine machine, String address, int port)
            throws Exception {
        long deadline = System.nanoTime() + build.spec.sshTimeout().toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                return machine.reconnect(Duration.ofNanos(Math.max(1_000_000_000L, Math.min(ROUND.toNanos(), left))));
            } catch (ConnectionFailedException e) {
                if (context.cancelled()) {
                    throw new InterruptedException("build cancelled while waiting for SSH");
                }
                // A round that timed out wraps the last (retryable) error; a refused login or host key does not.
                boolean retryable = e.retryable() || e.getCause() instanceof ConnectionFailedException c
                        && c.retryable();
                if (System.nanoTime() >= deadline || !retryable) {
                    throw new StepFailedException("cannot log in over SSH within "
                            + Durations.format(build.spec.sshTimeout()) + ": " + e.getMessage() + "\n"
                            + diagnosis(address, port) + serialLogTail(context), e);
                }
            }
        }
    }

    private static int port(Map<String, String> vmTags, Map<String, String> addressTags) {
        for (Map<String, String> tags : List.of(vmTags == null ? Map.<String, String>of() : vmTags, addressTags)) {
            String value = tags.get(PORT_TAG);
            if (value != null && value.matches("\\d{1,5}")) {
                return Integer.parseInt(value);
            }
        }
        return 22;
    }

    /** What a person needs to see when SSH never came up. */
    private String diagnosis(String address, int port) {
        List<String> lines = new ArrayList<>();
        lines.add("  address tried: " + address + ":" + port + " as " + build.spec.sshUser());
        try {
            var view = build.clients.compute().getVirtualMachines().instanceView(build.resourceGroup, build.vmName());
            List<String> states = new ArrayList<>();
            if (view.statuses() != null) {
                for (InstanceViewStatus status : view.statuses()) {
                    states.add(status.code());
                }
            }
            lines.add("  VM state: " + (states.isEmpty() ? "unknown" : String.join(", ", states)));
            if (view.bootDiagnostics() != null && view.bootDiagnostics().serialConsoleLogBlobUri() != null) {
                lines.add("  boot diagnostics (serial log): " + view.bootDiagnostics().serialConsoleLogBlobUri());
            }
        } catch (RuntimeException e) {
            lines.add("  VM state: cannot read (" + AzureErrors.describe(e) + ")");
        }
        try {
            var nsg = build.clients.network().getNetworkSecurityGroups()
                    .getByResourceGroup(build.resourceGroup, build.name("nsg"));
            nsg.securityRules().forEach(rule -> lines.add("  security rule " + rule.name() + ": "
                    + rule.access() + " TCP " + rule.destinationPortRange() + " from "
                    + (rule.sourceAddressPrefixes() == null || rule.sourceAddressPrefixes().isEmpty()
                    ? rule.sourceAddressPrefix() : String.join(", ", rule.sourceAddressPrefixes()))));
        } catch (RuntimeException e) {
            lines.add("  security group: cannot read (" + AzureErrors.describe(e) + ")");
        }
        return String.join("\n", lines);
    }

    /**
     * The last lines of the VM's serial console log (managed boot diagnostics), secrets redacted; empty when it
     * cannot be read. The blob is fetched without the ARM pipeline, so no ARM token goes to the storage host.
     */
    private String serialLogTail(BuildContext context) {
        try {
            var data = build.clients.compute().getVirtualMachines().retrieveBootDiagnosticsDataWithResponse(build.resourceGroup,
                    build.vmName(), 10, com.azure.core.util.Context.NONE).getValue();
            if (data == null || data.serialConsoleLogBlobUri() == null) {
                return "";
            }
            String log;
            try (var response = build.clients.compute().getHttpPipeline().getHttpClient().sendSync(
                    new com.azure.core.http.HttpRequest(com.azure.core.http.HttpMethod.GET,
                            data.serialConsoleLogBlobUri()), com.azure.core.util.Context.NONE)) {
                if (response.getStatusCode() != 200) {
                    return "\n  serial console log: cannot read (HTTP " + response.getStatusCode() + ")";
                }
                log = response.getBodyAsBinaryData().toString();
            }
            return "\n" + SerialLogTail.format(context.secrets().redact(log), SERIAL_LOG_LINES);
        } catch (RuntimeException e) {
            return "\n  serial console log: cannot read (" + AzureErrors.describe(e) + ")";
        }
    }

    @Override
    public void cleanup(BuildContext context) {
        if (machine != null) {
            machine.close();
        }
    }
}
