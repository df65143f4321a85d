package dev.imagebake.cli;

import dev.imagebake.emulator.Emulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code imagebake emulator}: runs the local Azure Resource Manager stand-in until Ctrl-C. */
@Command(name = "emulator", mixinStandardHelpOptions = true,
        description = "Run a local Azure Resource Manager stand-in over HTTPS on 127.0.0.1, until Ctrl-C. "
                + "Clients find the endpoint, CA certificate and credentials in DIR/cloud.json.")
final class EmulatorCommand implements Callable<Integer> {
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

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        try (Emulator emulator = Emulator.start(new Emulator.Settings(data, port,
                dev.imagebake.emulator.arm.Operations.Settings.DEFAULT, machines))) {
            // The secret stays in cloud.json (readable by its owner only); it is never printed.
            main.out.println("Azure emulator listening on " + emulator.endpoint());
            main.out.println("Cloud settings (endpoint, CA, credentials): " + emulator.cloudFile());
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
