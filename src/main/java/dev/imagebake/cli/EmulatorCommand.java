package dev.imagebake.cli;

import dev.imagebake.emulator.DataDirInUseException;
import dev.imagebake.emulator.Emulator;
import dev.imagebake.emulator.arm.Conditions;
import dev.imagebake.emulator.arm.FaultSpec;
import dev.imagebake.emulator.arm.ServedPaths;
import dev.imagebake.emulator.arm.LatencyProfile;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.arm.Throttle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code imagebake emulator}: runs the local Azure Resource Manager stand-in until Ctrl-C. */
@Command(name = "emulator", mixinStandardHelpOptions = true, subcommands = EmulatorInventoryCommand.class,
        description = "Run a local Azure Resource Manager stand-in over HTTPS on 127.0.0.1, until Ctrl-C. "
                + "Clients find the endpoint, CA certificate and credentials in DIR/cloud.json.")
final class EmulatorCommand implements Callable<Integer> {
    @Bounds(min = 0, max = 65535)
    @Option(names = "--port", defaultValue = "0", paramLabel = "N",
            description = "Listen on this port (default: any free port).")
    int port;

    @Option(names = "--data", defaultValue = ".imagebake-emulator", paramLabel = "DIR",
            description = "Keep certificates, credentials, state and the request log here (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--vms", defaultValue = "AUTO", paramLabel = "KIND",
            description = "What runs behind VMs: SANDBOX (sandboxed Linux machines reachable over SSH), NONE (control"
                    + " plane only) or AUTO (SANDBOX where this host supports it; default).")
    Emulator.Machines machines;

    @Option(names = "--latency", defaultValue = "instant", paramLabel = "PROFILE",
            description = "instant (operations finish at the first poll) or realistic (Azure's typical durations "
                    + "times --time-scale). Default: ${DEFAULT-VALUE}.")
    String latency;

    @Bounds(min = 0, aboveMin = true)
    @Option(names = "--time-scale", defaultValue = "1", paramLabel = "X",
            description = "Multiplies the realistic durations, e.g. 0.01 (default: ${DEFAULT-VALUE}).")
    double timeScale;

    @Bounds(min = 0)
    @Option(names = "--retry-after", defaultValue = "1", paramLabel = "SECONDS",
            description = "The Retry-After of operation replies and polls, whole seconds (default: ${DEFAULT-VALUE}); "
                    + "0 leaves the poll interval to the client (the Azure SDK then waits 30 s unless configured).")
    int retryAfter;

    @Option(names = "--throttle",
            description = "Enforce ARM's request throttling per subscription: 429 once a token bucket is empty.")
    boolean throttle;

    @Option(names = "--fault", paramLabel = "SPEC", converter = FaultConverter.class,
            description = "Inject a failure, e.g. 'PUT virtualMachines:500x2', 'PUT images:lro-failed=CODE', "
                    + "'DELETE virtualNetworks:hang' (see src/docs/emulator.md). Repeatable.")
    List<FaultSpec> faults = new ArrayList<>();

    @Option(names = "--federated-credential", paramLabel = "ISSUER=SUBJECT",
            description = "Trust ID tokens from ISSUER for SUBJECT (audience api://AzureADTokenExchange) as the "
                    + "emulator's application, as a federated identity credential does in Entra ID, e.g. "
                    + "'https://token.actions.githubusercontent.com=repo:OWNER/REPO:ref:refs/heads/main'. Kept in "
                    + "DIR/federated-credentials.json. Repeatable.")
    List<String> federatedCredentials = new ArrayList<>();

    @Option(names = "--proxy",
            description = "Also listen as an HTTPS (CONNECT) proxy on 127.0.0.1 for management.azure.com, "
                    + "login.microsoftonline.com and Azure's other public endpoints, so that tools with those built in"
                    + " (Packer, the Go and Python SDKs) work unchanged with HTTPS_PROXY and the emulator's CA. "
                    + "Written to DIR/cloud.json as 'proxy'.")
    boolean proxy;

    @Spec
    CommandSpec spec;

    @ParentCommand
    Main main;

    /** Turns {@code --fault} text into a spec; picocli reports a bad one as invalid usage (exit 2). */
    static final class FaultConverter implements CommandLine.ITypeConverter<FaultSpec> {
        @Override
        public FaultSpec convert(String value) {
            FaultSpec fault;
            try {
                fault = FaultSpec.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
            if (!ServedPaths.reachable(fault)) {
                throw new CommandLine.TypeConversionException("Fault '" + fault.text() + "' matches no request the"
                        + " emulator serves: check the resource type or action (virtualMachines, deallocate, ...) or"
                        + " the path glob (sign-in is '*/oauth2/v2.0/token'; see src/docs/emulator.md).");
            }
            return fault;
        }
    }

    private Conditions conditions() {
        LatencyProfile profile;
        try {
            profile = latency.equals("instant") ? LatencyProfile.INSTANT : new LatencyProfile(latency, timeScale);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid --latency or --time-scale: "
                    + e.getMessage());
        }
        return new Conditions(profile, Throttle.azure(throttle), faults);
    }

    @Override
    public Integer call() throws Exception {
        Conditions conditions = conditions();
        CountDownLatch stop = new CountDownLatch(1);
        Operations.Settings operations = new Operations.Settings(retryAfter, Operations.Settings.DEFAULT.pollsBeforeDone(),
                Operations.Settings.DEFAULT.overdueAfter());
        if (java.nio.file.Files.exists(data) && !java.nio.file.Files.isDirectory(data)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "invalid value for option '--data': "
                    + data + " is a file; the emulator keeps its state in a folder");
        }
        for (String credential : federatedCredentials) {
            int equals = credential.indexOf('=');
            if (equals <= 0 || equals == credential.length() - 1 || !credential.substring(0, equals).contains("://")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "invalid value for option "
                        + "'--federated-credential': '" + credential + "' is not ISSUER=SUBJECT, e.g. "
                        + "https://token.actions.githubusercontent.com=repo:OWNER/REPO:ref:refs/heads/main");
            }
        }
        Emulator started;
        try {
            Emulator.Settings settings = new Emulator.Settings(data, port, operations, machines, conditions);
            started = Emulator.start(proxy ? settings.withProxy() : settings);
        } catch (DataDirInUseException e) {
            main.err.println("Error: " + e.getMessage());
            return ExitCodes.FAILED;
        } catch (java.io.IOException e) {
            main.err.println("Error: cannot start the emulator in " + data + ": "
                    + dev.imagebake.util.IoErrors.describe(e));
            return ExitCodes.FAILED;
        }
        try (Emulator emulator = started) {
            for (String credential : federatedCredentials) {
                int equals = credential.indexOf('=');
                var added = emulator.addFederatedCredential("cli-" + (emulator.federatedCredentials().size() + 1),
                        credential.substring(0, equals), credential.substring(equals + 1));
                main.out.println("Federated credential: tokens from " + added.issuer() + " for subject "
                        + added.subject() + " sign in as application " + emulator.identity().clientId() + ".");
            }
            // The secret stays in cloud.json (readable by its owner only); it is never printed.
            main.out.println("Azure emulator listening on " + emulator.endpoint());
            main.out.println("Cloud settings (endpoint, CA, credentials): " + emulator.cloudFile());
            if (emulator.proxy() != null) {
                main.out.println("Proxy for Azure's public endpoints: " + emulator.proxy() + " (HTTPS_PROXY; trust "
                        + emulator.caCertificate() + ")");
            }
            main.out.println("Latency: " + (conditions.latency().isInstant() ? "instant"
                    : "realistic x" + conditions.latency().timeScale()) + "; throttling "
                    + (throttle ? "enforced" : "counted only") + "; faults: " + (faults.isEmpty() ? "none"
                    : String.join(" | ", faults.stream().map(FaultSpec::text).toList())) + ".");
            main.out.println("Press Ctrl-C to stop.");
            main.out.flush();
            Signals.install(stop::countDown);
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCodes.INTERRUPTED;
            } finally {
                Signals.restore();
            }
        }
        main.out.println("Emulator stopped.");
        return ExitCodes.OK;
    }
}
