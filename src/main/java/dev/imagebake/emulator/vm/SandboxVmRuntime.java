package dev.imagebake.emulator.vm;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * VMs as sandboxed Linux machines reachable over real SSH (see {@link Sandbox} and {@link SshGateway}). Their
 * data lives under {@code DATA/vm/}: {@code machines/KEY/} per VM and {@code layers/ID/} per frozen image layer.
 * Each machine gets a loopback address of its own, 127.x.y.z.
 */
public final class SandboxVmRuntime implements VmRuntime {
    private final Path machines;
    private final LayerStore layers;
    private final Path hidden;
    private final Map<String, SandboxMachine> running = new HashMap<>();
    private volatile boolean closing;

    private SandboxVmRuntime(Path vmDir, Path hidden) {
        this.machines = vmDir.resolve("machines");
        this.layers = new LayerStore(vmDir.resolve("layers"));
        this.hidden = hidden;
    }

    /**
     * @param vmDir  where machines and layers live
     * @param hidden a folder no machine may see (the emulator's data folder)
     * @throws VmRuntimeException when this host cannot run sandboxes, saying why
     */
    public static SandboxVmRuntime open(Path vmDir, Path hidden) throws VmRuntimeException {
        checkSupported();
        // Absolute: the paths go into mount options and scripts that run elsewhere.
        vmDir = vmDir.toAbsolutePath().normalize();
        hidden = hidden.toAbsolutePath().normalize();
        try {
            Files.createDirectories(vmDir.resolve("machines"));
            Files.createDirectories(vmDir.resolve("layers"));
            // Disks and images hold the machines' files with their real owners and modes (setuid ones too): only
            // the emulator's user may enter.
            Files.setPosixFilePermissions(vmDir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            if (Files.getFileStore(vmDir).type().startsWith("overlay")) {
                throw new VmRuntimeException("The emulator's data folder " + hidden + " is on overlayfs, which"
                        + " cannot hold the VMs' overlay layers; put it on another file system (for example a"
                        + " mounted volume).");
            }
        } catch (IOException e) {
            throw new VmRuntimeException("cannot create " + vmDir + ": " + e.getMessage(), e);
        }
        return new SandboxVmRuntime(vmDir, hidden);
    }

    /** Linux, root (to map all users one to one), user namespaces enabled, and the tools the sandbox uses. */
    public static void checkSupported() throws VmRuntimeException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux")) {
            throw new VmRuntimeException("Emulated VMs that run need Linux (user namespaces and overlayfs); this is "
                    + System.getProperty("os.name") + ". Start the emulator with the control-plane-only runtime.");
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new VmRuntimeException("Emulated VMs that run need the emulator to run as root, to map every user"
                    + " into the VM's user namespace; start it as root or with the control-plane-only runtime.");
        }
        for (String tool : List.of("/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/setpriv", "/usr/sbin/sshd",
                "/usr/bin/perl", "/usr/sbin/useradd")) {
            if (!Files.isExecutable(Path.of(tool))) {
                throw new VmRuntimeException("Emulated VMs that run need " + tool + " on this host (packages"
                        + " util-linux, openssh-server, perl, passwd).");
            }
        }
        try {
            Process probe = new ProcessBuilder("unshare", "--user", "--mount", "--pid", "--fork", "true")
                    .redirectErrorStream(true).start();
            String output = new String(probe.getInputStream().readAllBytes()).strip();
            if (!probe.waitFor(10, TimeUnit.SECONDS) || probe.exitValue() != 0) {
                throw new VmRuntimeException("Emulated VMs that run need user namespaces, which this host refuses ("
                        + output + "); enable them (sysctl user.max_user_namespaces, kernel.unprivileged_userns_clone)"
                        + " or use the control-plane-only runtime.");
            }
        } catch (IOException e) {
            throw new VmRuntimeException("cannot run unshare: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmRuntimeException("interrupted while checking user namespaces", e);
        }
    }

    @Override
    public synchronized SshEndpoint boot(MachineSpec spec) throws VmRuntimeException {
        SandboxMachine machine = running.get(spec.key());
        if (machine == null) {
            machine = bindMachine(spec);
            running.put(spec.key(), machine);
        }
        machine.boot(spec, layers.paths(spec.layers()));
        return machine.endpoint();
    }

    private SandboxMachine bindMachine(MachineSpec spec) throws VmRuntimeException {
        Path dir = machineDir(spec.key());
        if (spec.address() != null) {
            try {
                return new SandboxMachine(dir, hidden, spec.address());
            } catch (IOException e) {
                // taken by now: pick another below
            }
        }
        for (int attempt = 0; attempt < 50; attempt++) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            String address = "127." + random.nextInt(100, 200) + "." + random.nextInt(0, 256) + "."
                    + random.nextInt(2, 255);
            try {
                return new SandboxMachine(dir, hidden, address);
            } catch (BindException e) {
                // in use: try another address
            } catch (IOException e) {
                throw new VmRuntimeException("cannot open the SSH port of the machine: " + e.getMessage(), e);
            }
        }
        throw new VmRuntimeException("no free loopback address for the machine's SSH port");
    }

    private Path machineDir(String key) throws VmRuntimeException {
        if (!key.matches("[-0-9a-zA-Z]+")) {
            throw new VmRuntimeException("'" + key + "' cannot name a machine");
        }
        return machines.resolve(key);
    }

    /** Not synchronized: a long command must not hold up the other machines. */
    @Override
    public CommandResult run(String key, String script, Map<String, String> environment, String directory,
                             long timeoutSeconds)
            throws VmRuntimeException {
        SandboxMachine machine;
        synchronized (this) {
            machine = running.get(key);
        }
        Sandbox sandbox = machine == null ? null : machine.awaitRunning();
        if (sandbox == null) {
            throw new VmRuntimeException("the machine is not running");
        }
        try {
            return sandbox.exec(script, environment, directory, timeoutSeconds);
        } catch (IOException e) {
            throw new VmRuntimeException("cannot run the command in the machine: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmRuntimeException("interrupted while the command ran", e);
        }
    }

    @Override
    public synchronized void stop(String key) {
        SandboxMachine machine = running.get(key);
        if (machine != null) {
            machine.stop();
        }
    }

    @Override
    public synchronized void restart(MachineSpec spec) throws VmRuntimeException {
        stop(spec.key());
        boot(spec);
    }

    @Override
    public synchronized void delete(String key) {
        SandboxMachine machine = running.remove(key);
        if (machine != null) {
            machine.close();
        }
        try {
            LayerStore.remove(machineDir(key));
        } catch (VmRuntimeException e) {
            // not a key this runtime made
        }
    }

    @Override
    public synchronized List<String> capture(MachineSpec spec) throws VmRuntimeException {
        stop(spec.key());
        return snapshot(spec);
    }

    @Override
    public synchronized List<String> snapshot(MachineSpec spec) throws VmRuntimeException {
        Path upper = machineDir(spec.key()).resolve("upper");
        List<String> image = new ArrayList<>();
        if (Files.isDirectory(upper)) {
            image.add(layers.freeze(upper));
        }
        image.addAll(spec.layers());
        return image;
    }

    /** Not synchronized: a large import must not hold up the machines; layers are stored atomically. */
    @Override
    public List<String> importLayer(Path source) throws VmRuntimeException {
        return List.of(LayerImport.store(layers, source));
    }

    /** The machine's {@code boot.log}: the boot script's output and how each boot went. */
    @Override
    public Path consoleLog(String key) {
        try {
            Path log = machineDir(key).resolve("boot.log");
            return Files.isRegularFile(log) ? log : null;
        } catch (VmRuntimeException e) {
            return null;
        }
    }

    @Override
    public boolean closing() {
        return closing;
    }

    @Override
    public synchronized void close() {
        closing = true;
        running.values().forEach(SandboxMachine::close);
        running.clear();
    }
}
