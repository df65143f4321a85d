package dev.imagebake.emulator.vm;

import java.util.List;

/**
 * What runs behind an emulated virtual machine. The compute provider calls it at the lifecycle points of a VM
 * (create, power actions, delete, image capture); the control plane stays the provider's business.
 */
public interface VmRuntime extends AutoCloseable {

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

    /** Stops all machines (their disks stay for the next start of the emulator). */
    @Override
    void close();
}
