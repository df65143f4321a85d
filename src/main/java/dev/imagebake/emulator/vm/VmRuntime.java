package dev.imagebake.emulator.vm;

import java.nio.file.Path;
import java.util.List;

/**
 * What runs behind an emulated virtual machine. The compute provider calls it at the lifecycle points of a VM
 * (create, power actions, delete, image capture); the control plane stays the provider's business.
 */
public interface VmRuntime extends AutoCloseable {
    /** The names of the tarballs an image can be imported from: plain, gzip, xz, bzip2 or zstd. */
    List<String> TARBALL_SUFFIXES = List.of(".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2",
            ".tar.zst", ".tzst");
    /** {@link #TARBALL_SUFFIXES} as messages list them. */
    String TARBALLS = ".tar, .tar.gz, .tgz, .tar.xz, .txz, .tar.bz2, .tbz2, .tar.zst or .tzst";


    /**
     * Boots the machine (creating it on first use) unless it is already running, and returns where its SSH server
     * listens, or {@code null} for a runtime without machines. Returns quickly: the boot itself finishes in the
     * background and early SSH connections wait for it.
     */
    SshEndpoint boot(MachineSpec spec) throws VmRuntimeException;

    /** Stops every process of the machine and keeps its disk (its own layer). Does nothing if it is not running. */
    void stop(String key);

    /** Stops the machine and boots it again, as a guest {@code reboot} would. */
    void restart(MachineSpec spec) throws VmRuntimeException;

    /** Stops the machine and forgets its disk. */
    void delete(String key);

    /**
     * Freezes the machine's disk into an immutable layer and returns the image's layers, topmost first: the new one
     * followed by the layers the machine was created from. The machine must be stopped.
     */
    List<String> capture(MachineSpec spec) throws VmRuntimeException;

    /**
     * Freezes the machine's disk as it is now into an immutable layer, running or not (a crash-consistent copy, as
     * an Azure snapshot of an attached disk is), and returns the disk's layers, topmost first. The machine keeps
     * running and keeps its own layer.
     */
    List<String> snapshot(MachineSpec spec) throws VmRuntimeException;

    /**
     * Copies a local folder or tarball ({@link #TARBALLS}) into a new immutable layer and returns the image's
     * layers: that one alone, laid over the host's root like every image. Nothing is written outside the layer and
     * the source is only read. A runtime without machines returns no layers.
     *
     * @throws ImageContentException when the content is not acceptable (paths that leave the layer, top-level
     *                               directories a machine does not overlay, ...), saying what to change
     */
    List<String> importLayer(Path source) throws VmRuntimeException;

    /** What a command run inside a machine left: its exit status (-1 when it ran out of time) and its output. */
    record CommandResult(int exitCode, String stdout, String stderr) {
    }

    /**
     * Runs a shell script inside the running machine as root, as a VM agent runs an extension's command, and
     * waits for it. {@code environment} holds extra variables for the script (a run command's parameters); it runs
     * in {@code directory} (created if missing), or in {@code /root} when that is null.
     *
     * @throws VmRuntimeException when no machine runs for {@code key} (stopped, or a runtime without machines)
     */
    default CommandResult run(String key, String script, java.util.Map<String, String> environment,
                              String directory, long timeoutSeconds) throws VmRuntimeException {
        throw new VmRuntimeException("no machine runs behind this VM (the emulator runs the control plane only)");
    }

    /** Whether {@link #close} has begun: a command that ends now was ended by it, not by its script. */
    default boolean closing() {
        return false;
    }

    /**
     * The machine's console output (what its boots and first-boot provisioning printed, as a serial console shows
     * it), or {@code null} for a runtime without machines or a machine that never booted.
     */
    Path consoleLog(String key);

    /** Stops all machines (their disks stay for the next start of the emulator). */
    @Override
    void close();
}
