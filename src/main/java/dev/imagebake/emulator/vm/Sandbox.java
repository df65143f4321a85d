package dev.imagebake.emulator.vm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One boot of a machine: a user, mount, PID, UTS and IPC namespace whose root is a fresh tmpfs holding one overlay
 * per top-level directory of the host (the image layers and the host's own directory below, the machine's layer
 * on top), plus its own /proc, /dev, /tmp and /run. Its PID 1 is a small reaper; killing it ends every process of
 * the machine at once.
 *
 * <p>Users are mapped one to one (uid 0..65535), so files keep their owners and {@code sudo}, {@code useradd} and
 * package installs behave as on a VM. Because namespace root is host root for files the sandbox can reach, the
 * sandbox reaches no host file system except through read-only overlay lower layers, /proc/sys and similar kernel
 * knobs are mounted read-only, and the processes run without CAP_SYS_ADMIN so they cannot undo that.
 */
final class Sandbox {
    /** Directories that become overlays when they are real directories on the host. */
    static final List<String> OVERLAID = List.of("etc", "usr", "var", "opt", "srv", "home", "root", "boot",
            "bin", "sbin", "lib", "lib32", "lib64", "libx32");
    /**
     * The top-level directories an image layer may hold on this host: those of {@link #OVERLAID} that are real
     * directories here (where /bin is a link to usr/bin, a layer's bin/ would never show).
     */
    static List<String> overlaidHere() {
        return OVERLAID.stream().map(name -> Path.of("/", name))
                .filter(host -> Files.isDirectory(host, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .map(host -> host.getFileName().toString()).toList();
    }

    /** Exit status of PID 1 when the guest asked for a reboot. */
    static final int REBOOT_STATUS = 42;
    private static final String UID_MAP = "0 0 65536\n";

    private final Process process;
    private final long initPid;

    private Sandbox(Process process, long initPid) {
        this.process = process;
        this.initPid = initPid;
    }

    /**
     * Starts the namespaces and waits until the root is assembled.
     *
     * @param machineDir the machine's folder: {@code upper/}, {@code work/}, {@code root/} and logs live there
     * @param lowerLayers folders of the image layers, topmost first
     * @param hostname   the machine's host name
     * @param diskHostname whether the disk's own {@code /etc/hostname} names the machine when it has one (a
     *                     specialized disk keeps its host name), {@code hostname} being the fallback
     * @param hidden     a host folder that must not show inside (the emulator's data folder)
     */
    static Sandbox start(Path machineDir, List<Path> lowerLayers, String hostname, boolean diskHostname, Path hidden)
            throws VmRuntimeException {
        Path script = machineDir.resolve("setup.sh");
        try {
            Files.createDirectories(machineDir.resolve("root"));
            Files.writeString(script, setupScript(machineDir, lowerLayers, hostname, diskHostname, hidden));
        } catch (IOException e) {
            throw new VmRuntimeException("cannot prepare the machine folder " + machineDir + ": " + e.getMessage(), e);
        }
        // A session of its own, as a VM's processes are out of reach of the terminal imagebake runs in (see command()).
        // setsid forks only when its caller leads a process group, which a JVM's child does not: the pid stays.
        ProcessBuilder builder = new ProcessBuilder("setsid", "unshare", "--user", "--mount", "--pid", "--uts",
                "--ipc", "--fork", "--kill-child", "--propagation", "private",
                "/bin/sh", "-c", "read go && exec /bin/sh \"$0\"", script.toString());
        builder.redirectError(ProcessBuilder.Redirect.appendTo(machineDir.resolve("boot.log").toFile()));
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new VmRuntimeException("cannot run unshare (util-linux) to start a machine: " + e.getMessage(), e);
        }
        try {
            awaitOwnUserNamespace(process);
            // The new user namespace belongs to unshare itself; only a privileged writer may map all users.
            Files.writeString(Path.of("/proc", String.valueOf(process.pid()), "uid_map"), UID_MAP);
            Files.writeString(Path.of("/proc", String.valueOf(process.pid()), "gid_map"), UID_MAP);
            OutputStream go = process.getOutputStream();
            go.write("go\n".getBytes(StandardCharsets.US_ASCII));
            go.close();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = out.readLine();
            if (!"ready".equals(line)) {
                process.waitFor(5, TimeUnit.SECONDS);
                throw new VmRuntimeException("the machine's namespaces could not be set up; see "
                        + machineDir.resolve("boot.log") + ": " + lastLines(machineDir.resolve("boot.log")));
            }
            long init = process.children().findFirst().orElseThrow(() -> new VmRuntimeException(
                    "the machine's first process ended during boot; see " + machineDir.resolve("boot.log"))).pid();
            return new Sandbox(process, init);
        } catch (IOException | InterruptedException | RuntimeException e) {
            process.destroyForcibly();
            throw new VmRuntimeException("cannot start the machine's namespaces: " + e.getMessage(), e);
        } catch (VmRuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** unshare creates the user namespace a moment after it starts; its maps can be written only then. */
    private static void awaitOwnUserNamespace(Process process) throws IOException, InterruptedException,
            VmRuntimeException {
        Path own = Files.readSymbolicLink(Path.of("/proc/self/ns/user"));
        Path child = Path.of("/proc", String.valueOf(process.pid()), "ns", "user");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.readSymbolicLink(child).equals(own)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new VmRuntimeException("unshare did not create a user namespace");
            }
            Thread.sleep(1);
        }
    }

    private static String lastLines(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /**
     * The command that runs {@code command} inside the machine as root, without the right to change mounts. Like
     * the machine itself, it runs in a session of its own (setsid): the emulator may run in a terminal's foreground
     * process group (`repl --emulator`), and the terminal's Ctrl-C (SIGINT to that whole group) would otherwise
     * also reach the machine's sshd and end the very connection that is to stop the interrupted command.
     */
    List<String> command(List<String> command) {
        List<String> full = new ArrayList<>(List.of("setsid", "nsenter", "--target", String.valueOf(initPid),
                "--user", "--mount", "--pid", "--uts", "--ipc", "--", "/usr/bin/setpriv", "--bounding-set=-sys_admin",
                "/usr/bin/env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/root", "LANG=C.UTF-8"));
        full.addAll(command);
        return full;
    }

    /** Runs a root shell script inside the machine and returns its exit status; output goes to {@code log}. */
    int runScript(String script, Path log, long timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command(List.of("/bin/sh", "-s")));
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.redirectErrorStream(true);
        Process shell = builder.start();
        try (OutputStream in = shell.getOutputStream()) {
            in.write(script.getBytes(StandardCharsets.UTF_8));
        }
        if (!shell.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            shell.destroyForcibly();
            return -1;
        }
        return shell.exitValue();
    }

    /**
     * Runs {@code script} (a file: its {@code #!} line counts, {@code /bin/sh} without one) inside the machine as root, in {@code directory} ({@code /root} when null), with the extra
     * variables in its environment (given on the script's stdin, so their values are in no process's arguments),
     * and collects its output. A script still running after the timeout is killed (exit status -1).
     */
    VmRuntime.CommandResult exec(String script, java.util.Map<String, String> environment, String directory,
                                 long timeoutSeconds) throws IOException, InterruptedException {
        StringBuilder wrapper = new StringBuilder();
        if (directory == null) {
            wrapper.append("cd /root 2>/dev/null || cd /\n");
        } else {
            wrapper.append("mkdir -p ").append(quote(directory)).append(" && cd ").append(quote(directory))
                    .append(" || exit 1\n");
        }
        for (var variable : environment.entrySet()) {
            wrapper.append("export ").append(variable.getKey()).append('=').append(quote(variable.getValue()))
                    .append('\n');
        }
        // The script itself becomes a file, so that it can read stdin and 'exit' as a script does.
        wrapper.append("f=$(mktemp /tmp/script.XXXXXX) && cat > \"$f\" <<'IMAGEBAKE_SCRIPT_END'\n")
                .append(script).append(script.endsWith("\n") ? "" : "\n").append("IMAGEBAKE_SCRIPT_END\n")
                .append("chmod 700 \"$f\"; \"$f\" </dev/null; s=$?; rm -f \"$f\"; exit $s\n");
        Process shell = new ProcessBuilder(command(List.of("/bin/sh", "-s"))).start();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        Thread outReader = collect(shell.getInputStream(), out);
        Thread errReader = collect(shell.getErrorStream(), err);
        try (OutputStream in = shell.getOutputStream()) {
            in.write(wrapper.toString().getBytes(StandardCharsets.UTF_8));
        }
        boolean finished = shell.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!finished) {
            shell.descendants().forEach(ProcessHandle::destroyForcibly);
            shell.destroyForcibly();
        }
        // A process the script left running in the background may hold the streams open: take what came so far.
        outReader.join(5000);
        errReader.join(5000);
        return new VmRuntime.CommandResult(finished ? shell.exitValue() : -1, text(out), text(err));
    }

    private static Thread collect(java.io.InputStream stream, java.io.ByteArrayOutputStream sink) {
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (stream) {
                for (int n; (n = stream.read(buffer)) > 0; ) {
                    synchronized (sink) {
                        sink.write(buffer, 0, n);
                    }
                }
            } catch (IOException e) {
                // the command ended
            }
        }, "guest-command-output");
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    private static String text(java.io.ByteArrayOutputStream sink) {
        synchronized (sink) {
            return sink.toString(StandardCharsets.UTF_8);
        }
    }

    Process process() {
        return process;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Kills PID 1 of the machine, which ends all its processes, and waits for that. */
    void kill() {
        ProcessHandle.of(initPid).ifPresent(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String setupScript(Path machineDir, List<Path> lowerLayers, String hostname,
                                      boolean diskHostname, Path hidden) throws IOException {
        StringBuilder s = new StringBuilder();
        String root = machineDir.resolve("root").toString();
        s.append("set -e\nR=").append(quote(root)).append("\n");
        s.append("M=").append(quote(machineDir.toString())).append("\n");
        s.append("mount -t tmpfs -o mode=755 vmroot \"$R\"\n");
        for (String name : OVERLAID) {
            Path host = Path.of("/", name);
            if (Files.isSymbolicLink(host)) {
                s.append("ln -s ").append(quote(Files.readSymbolicLink(host).toString())).append(" \"$R/")
                        .append(name).append("\"\n");
                continue;
            }
            if (!Files.isDirectory(host)) {
                continue;
            }
            Path upper = machineDir.resolve("upper").resolve(name);
            Path work = machineDir.resolve("work").resolve(name);
            Files.createDirectories(upper);
            Files.createDirectories(work);
            StringBuilder lower = new StringBuilder();
            for (Path layer : lowerLayers) {
                if (Files.isDirectory(layer.resolve(name))) {
                    lower.append(layer.resolve(name)).append(':');
                }
            }
            lower.append(host);
            s.append("mkdir \"$R/").append(name).append("\"\n");
            // userxattr: overlay metadata in user.* attributes, the only ones a user namespace may write.
            s.append("mount -t overlay overlay -o ").append(quote("userxattr,lowerdir=" + lower + ",upperdir="
                    + upper + ",workdir=" + work)).append(" \"$R/").append(name).append("\"\n");
        }
        s.append("""
                mkdir "$R/proc" "$R/dev" "$R/tmp" "$R/run" "$R/sys" "$R/mnt" "$R/media"
                mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
                for p in sys sysrq-trigger irq bus fs; do
                  if [ -e "$R/proc/$p" ]; then mount --bind "$R/proc/$p" "$R/proc/$p"; mount -o remount,bind,ro "$R/proc/$p"; fi
                done
                # Each boot its own boot id, as a kernel gives it: what proves that a machine rebooted.
                cat /proc/sys/kernel/random/uuid > "$M/boot_id"
                mount --bind "$M/boot_id" "$R/proc/sys/kernel/random/boot_id"
                mount -o remount,bind,ro "$R/proc/sys/kernel/random/boot_id"
                for p in kcore keys timer_list sched_debug; do
                  if [ -f "$R/proc/$p" ]; then mount --bind /dev/null "$R/proc/$p"; fi
                done
                mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$R/tmp"
                mount -t tmpfs -o mode=755,nosuid,nodev run "$R/run"
                mkdir -m 755 "$R/run/sshd" "$R/run/lock"
                mount -t tmpfs -o mode=755,nosuid dev "$R/dev"
                for n in null zero full random urandom tty; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done
                mkdir "$R/dev/pts" "$R/dev/shm"
                mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
                ln -s pts/ptmx "$R/dev/ptmx"
                mount -t tmpfs -o mode=1777,nosuid,nodev shm "$R/dev/shm"
                ln -s /proc/self/fd "$R/dev/fd"
                ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; ln -s /proc/self/fd/2 "$R/dev/stderr"
                """);
        String hiddenPath = hidden.toAbsolutePath().normalize().toString();
        s.append("H=").append(quote(hiddenPath)).append("\n");
        s.append("if [ -d \"$R$H\" ]; then mount -t tmpfs -o size=64k,mode=755 hidden \"$R$H\"; fi\n");
        if (diskHostname) {
            // Not through a link: it would be followed on the host's side, before the root is switched.
            s.append("if [ -s \"$R/etc/hostname\" ] && [ ! -L \"$R/etc/hostname\" ]; then\n")
                    .append("  hostname \"$(head -n 1 \"$R/etc/hostname\")\"\nelse\n  hostname ").append(quote(hostname))
                    .append("\nfi\n");
        } else {
            s.append("hostname ").append(quote(hostname)).append("\n");
        }
        s.append("""
                cd "$R"
                mkdir .oldroot
                pivot_root . .oldroot
                umount -l /.oldroot
                rmdir /.oldroot
                cd /
                echo ready
                exec /usr/bin/perl -e '$SIG{NUM39} = sub { exit 42 }; $SIG{TERM} = sub { exit 0 }; $SIG{$_} = "IGNORE" for qw(INT HUP USR1 USR2 PWR); while (1) { sleep 1 if wait() == -1 }'
                """);
        return s.toString();
    }

    static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
