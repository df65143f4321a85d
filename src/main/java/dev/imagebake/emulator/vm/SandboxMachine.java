package dev.imagebake.emulator.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One emulated VM: its folder ({@code upper/} is its disk), its SSH port, and the sandbox of its current boot.
 * A guest reboot (PID 1 ends with {@link Sandbox#REBOOT_STATUS}) boots it again on the same disk.
 */
final class SandboxMachine {
    private static final long BOOT_SCRIPT_SECONDS = 120;

    private final Path dir;
    private final Path hidden;
    private final SshGateway gateway;
    private MachineSpec spec;
    private List<Path> layers;
    /** The boot in progress or done; {@code null} while stopped. */
    private CompletableFuture<Sandbox> boot;

    SandboxMachine(Path dir, Path hidden, String address) throws IOException {
        this.dir = dir;
        this.hidden = hidden;
        Files.createDirectories(dir);
        this.gateway = SshGateway.bind(address, this::awaitRunning, dir.resolve("sshd.log"));
    }

    SshEndpoint endpoint() {
        return gateway.endpoint();
    }

    Path upper() {
        return dir.resolve("upper");
    }

    /** Starts a boot in the background unless one is running. */
    synchronized void boot(MachineSpec spec, List<Path> layers) {
        this.spec = spec;
        this.layers = layers;
        if (boot != null && (!boot.isDone() || running(boot))) {
            return;
        }
        CompletableFuture<Sandbox> next = new CompletableFuture<>();
        boot = next;
        Thread thread = new Thread(() -> bootNow(next), "vm-boot-" + spec.key());
        thread.setDaemon(true);
        thread.start();
    }

    private void bootNow(CompletableFuture<Sandbox> future) {
        MachineSpec current;
        List<Path> currentLayers;
        synchronized (this) {
            current = spec;
            currentLayers = layers;
        }
        Path log = dir.resolve("boot.log");
        try {
            long started = System.nanoTime();
            Sandbox sandbox = Sandbox.start(dir, currentLayers, current.computerName(), current.specialized(),
                    hidden);
            long namespaces = System.nanoTime();
            int status = sandbox.runScript(FirstBoot.script(current, CloudConfig.parse(current.customData())), log,
                    BOOT_SCRIPT_SECONDS);
            appendLog(log, "boot: namespaces and mounts " + (namespaces - started) / 1_000_000 + " ms, boot script "
                    + (System.nanoTime() - namespaces) / 1_000_000 + " ms, status " + status);
            if (status != 0) {
                sandbox.kill();
                throw new VmRuntimeException("the machine's boot script failed with status " + status + "; see "
                        + log);
            }
            sandbox.process().onExit().thenAccept(p -> exited(future, p.exitValue()));
            future.complete(sandbox);
        } catch (VmRuntimeException | IOException | RuntimeException e) {
            appendLog(log, "boot failed: " + e.getMessage());
            future.completeExceptionally(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.completeExceptionally(e);
        }
    }

    /** PID 1 ended: a guest reboot boots again; anything else leaves the machine stopped. */
    private void exited(CompletableFuture<Sandbox> ended, int status) {
        synchronized (this) {
            if (boot != ended) {
                return;
            }
            boot = null;
            if (status == Sandbox.REBOOT_STATUS) {
                boot(spec, layers);
            }
        }
    }

    private static boolean running(CompletableFuture<Sandbox> boot) {
        return !boot.isCompletedExceptionally() && boot.join().alive();
    }

    /** The running sandbox, once booted, or {@code null} if the machine is stopped or failed to boot. */
    Sandbox awaitRunning() {
        CompletableFuture<Sandbox> current;
        synchronized (this) {
            current = boot;
        }
        if (current == null) {
            return null;
        }
        try {
            return current.get(5, TimeUnit.MINUTES);
        } catch (ExecutionException | TimeoutException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Ends every process of the machine. */
    void stop() {
        CompletableFuture<Sandbox> current;
        synchronized (this) {
            current = boot;
            boot = null;
        }
        if (current != null) {
            try {
                current.get(5, TimeUnit.MINUTES).kill();
            } catch (ExecutionException | TimeoutException e) {
                // it never came up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void close() {
        stop();
        gateway.close();
    }

    private static void appendLog(Path log, String line) {
        try {
            Files.writeString(log, line + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            // the log is best effort
        }
    }
}
