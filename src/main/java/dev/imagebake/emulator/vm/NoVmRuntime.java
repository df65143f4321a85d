package dev.imagebake.emulator.vm;

import java.nio.file.Path;
import java.util.List;

/** Control plane only: VMs are documents with a power state and nothing runs behind them. */
public final class NoVmRuntime implements VmRuntime {
    @Override
    public SshEndpoint boot(MachineSpec spec) {
        return null;
    }

    @Override
    public void stop(String key) {
    }

    @Override
    public void restart(MachineSpec spec) {
    }

    @Override
    public void delete(String key) {
    }

    @Override
    public List<String> capture(MachineSpec spec) {
        return spec.layers();
    }

    @Override
    public List<String> snapshot(MachineSpec spec) {
        return spec.layers();
    }

    @Override
    public List<String> importLayer(Path source) {
        return List.of();
    }

    @Override
    public Path consoleLog(String key) {
        return null;
    }

    @Override
    public void close() {
    }
}
