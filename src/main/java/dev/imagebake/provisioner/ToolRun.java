package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.Communicator;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.communicator.Transfer;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.ToolOptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One run of a configuration-management tool on the build machine, in the order every such provisioner follows:
 * make the staging folder, upload what the tool needs into it (each transfer checked on both sides), install the
 * tool when it is missing and the step asks for it, run it with the build's variables while its output streams,
 * then remove the staging folder, also after a failure, and check that it is gone.
 */
final class ToolRun {
    /** Distribution package managers in the order they are tried, with their non-interactive install commands. */
    private static final String PACKAGE_INSTALL = """
            install() {
              if command -v apt-get >/dev/null 2>&1; then
                $s env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" \\
                  || { $s apt-get update -q && $s env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1"; }
              elif command -v dnf >/dev/null 2>&1; then $s dnf install -y "$1"
              elif command -v yum >/dev/null 2>&1; then $s yum install -y "$1"
              elif command -v zypper >/dev/null 2>&1; then $s zypper --non-interactive install "$1"
              elif command -v apk >/dev/null 2>&1; then $s apk add "$1"
              else echo 'imagebake: no package manager found (apt-get, dnf, yum, zypper, apk)' >&2; exit 127
              fi
            }
            """;

    private final BuildContext context;
    private final String step;
    private final ToolOptions options;
    private final Map<String, String> environment;

    ToolRun(BuildContext context, String step, ToolOptions options) {
        this.context = context;
        this.step = step;
        this.options = options;
        this.environment = ShellProvisioner.environment(context, options.env());
    }

    /** The build's variables and the step's own, sorted by name. */
    Map<String, String> environment() {
        return new TreeMap<>(environment);
    }

    /** {@code sudo -n } unless the step prevents sudo; what goes before a command that needs root. */
    String sudo() {
        return options.preventSudo() ? "" : "sudo -n ";
    }

    /** Whether the tool runs through sudo. */
    boolean sudoUsed() {
        return !options.preventSudo();
    }

    /** {@code env NAME='value' ... } with the build's variables and {@code extra} (which win), for a command line. */
    String envPrefix(Map<String, String> extra) {
        Map<String, String> all = new TreeMap<>(environment);
        all.putAll(extra);
        StringBuilder out = new StringBuilder("env ");
        all.forEach((name, value) -> out.append(name).append('=').append(ShellQuoting.quote(value)).append(' '));
        return out.toString();
    }

    /**
     * The staging folder, owned by the SSH user (who uploads into it) and closed to everyone else (mode 0700: node
     * data and Hiera files may hold secrets); the tool, running as root, reads it all the same. Where the SSH user
     * cannot create it, it is created through sudo and handed to the SSH user.
     */
    void createStaging() throws Exception {
        String dir = ShellQuoting.quote(options.stagingDirectory());
        String asRoot = options.preventSudo() ? "false" : "{ sudo -n mkdir -p " + dir
                + " && sudo -n chown \"$(id -u):$(id -g)\" " + dir + "; }";
        quiet("create the staging folder " + options.stagingDirectory(),
                "{ mkdir -p " + dir + " 2>/dev/null && test -O " + dir + "; } || " + asRoot + " && chmod 0700 " + dir);
    }

    /** Uploads a file or folder from the template's folder to {@code remote}; checked on both sides. */
    Transfer upload(String local, String remote) throws Exception {
        Path source = context.templateFolder().resolve(local);
        if (!Files.exists(source)) {
            throw new StepFailedException("the source " + source + " does not exist on this host");
        }
        Transfer done = communicator().upload(source, remote, true);
        context.info("uploaded " + local + " to " + remote + " (" + files(done) + done.verification() + ")");
        return done;
    }

    /** Writes generated text to {@code remote} on the machine; checked like any upload. Never kept on this host. */
    Transfer write(String what, String content, String remote) throws Exception {
        Transfer done = communicator().upload(content.getBytes(StandardCharsets.UTF_8), remote, 0644);
        context.info("wrote " + what + " to " + remote + " (" + done.verification() + ")");
        return done;
    }

    /**
     * Makes sure the tool is on the machine: {@code present} (a shell test) passes, or the step's install
     * command, distribution package (the first of {@code packages} the package manager has) or bootstrap script
     * runs and {@code present} passes afterwards.
     *
     * @param bootstrapArguments the arguments the vendor's bootstrap script gets (shell text)
     */
    void ensureInstalled(String tool, String present, List<String> packages, String bootstrapArguments)
            throws Exception {
        if (status(present) == 0) {
            return;
        }
        String install;
        String how;
        if (options.installCommand() != null) {
            install = options.installCommand();
            how = "its installCommand";
        } else if ("package".equals(options.install())) {
            StringBuilder script = new StringBuilder("s=").append(ShellQuoting.quote(sudo().strip())).append('\n')
                    .append(PACKAGE_INSTALL);
            List<String> tries = new ArrayList<>();
            packages.forEach(p -> tries.add("install " + ShellQuoting.quote(p)));
            script.append(String.join(" || ", tries)).append('\n');
            install = script.toString();
            how = "the distribution's package (" + String.join(" or ", packages) + ")";
        } else if (options.install() != null) {
            String script = options.stagingDirectory() + "/install-" + tool + ".sh";
            String url = ShellQuoting.quote(options.install());
            String file = ShellQuoting.quote(script);
            install = "{ command -v curl >/dev/null 2>&1 && curl -fsSL " + url + " -o " + file + "; } || "
                    + "{ command -v wget >/dev/null 2>&1 && wget -q -O " + file + " " + url + "; } || "
                    + "{ echo 'imagebake: cannot download " + options.install().replace("'", "") + " (with curl or "
                    + "wget)' >&2; exit 1; }\n"
                    + sudo() + "sh " + file + (bootstrapArguments.isEmpty() ? "" : " " + bootstrapArguments);
            how = "the bootstrap script " + options.install();
        } else {
            throw new StepFailedException(tool + " is not installed on the machine (`" + present + "` failed); "
                    + "install it in an earlier step, or add install 'package' (the distribution's package) or "
                    + "install 'https://...' (the vendor's bootstrap script)");
        }
        context.info(tool + " is not installed on the machine; installing it with " + how);
        int status = stream("install " + tool, install);
        if (status != 0) {
            throw new StepFailedException("installing " + tool + " with " + how + " failed (exit status " + status
                    + "; see its output above)");
        }
        if (status(present) != 0) {
            throw new StepFailedException("installing " + tool + " with " + how + " exited 0, but " + tool
                    + " is still not found (`" + present + "` fails)");
        }
        context.info("installed " + tool);
    }

    /** Runs {@code command} with its output streamed as the step's; its exit status. */
    int stream(String what, String command) throws Exception {
        return stream(what, command, line -> { });
    }

    /** {@link #stream(String, String)}, with every line of output also handed to {@code seen}. */
    int stream(String what, String command, java.util.function.Consumer<String> seen) throws Exception {
        CommandResult result = communicator().run(RemoteCommand.of(command), (stream, line) -> {
            seen.accept(line);
            context.reporter().output(context.name(), step, stream.name().toLowerCase(), line);
        });
        return ended(what, result);
    }

    /** The standard output of a short command that must succeed, its lines joined by newlines. */
    String output(String what, String command) throws Exception {
        StringBuilder out = new StringBuilder();
        CommandResult result = communicator().run(RemoteCommand.of(command), (stream, line) -> {
            if (stream == dev.imagebake.communicator.OutputListener.Stream.STDOUT) {
                out.append(out.isEmpty() ? "" : "\n").append(line);
            }
        });
        int status = ended(what, result);
        if (status != 0) {
            throw new StepFailedException("could not " + what + " (exit status " + status + ")");
        }
        return out.toString();
    }

    /** Runs a short command whose output is not shown; its exit status. */
    int status(String command) throws Exception {
        return ended(command, communicator().run(RemoteCommand.of(command), (stream, line) -> { }));
    }

    /** Runs a short command that must succeed; its output names the problem when it does not. */
    void quiet(String what, String command) throws Exception {
        List<String> output = new ArrayList<>();
        CommandResult result = communicator().run(RemoteCommand.of(command), (stream, line) -> output.add(line));
        int status = ended(what, result);
        if (status != 0) {
            throw new StepFailedException("could not " + what + " (exit status " + status
                    + (output.isEmpty() ? "" : ": " + String.join(" ", output.subList(0, Math.min(3, output.size()))))
                    + ")");
        }
    }

    /**
     * Removes the staging folder (unless the step keeps it) and checks that it is gone. After a failure the
     * failure stays the step's error: a folder that could not be removed is then only reported.
     */
    void removeStaging(boolean failed) throws Exception {
        if (!options.cleanStagingDirectory()) {
            context.info("kept the staging folder " + options.stagingDirectory() + " (cleanStagingDirectory false)");
            return;
        }
        String dir = ShellQuoting.quote(options.stagingDirectory());
        try {
            quiet("remove the staging folder " + options.stagingDirectory(),
                    sudo() + "rm -rf " + dir + " && ! test -e " + dir);
            context.info("removed the staging folder " + options.stagingDirectory());
        } catch (Exception e) {
            if (!failed) {
                throw e;
            }
            context.warn(e.getMessage());
        }
    }

    /**
     * The whole run: creates the staging folder, runs {@code body}, then removes the folder whatever happened.
     */
    void staged(Body body) throws Exception {
        createStaging();
        boolean failed = true;
        try {
            body.run();
            failed = false;
        } finally {
            if (!Thread.currentThread().isInterrupted()) {
                removeStaging(failed);
            }
        }
    }

    /** The work between making the staging folder and removing it. */
    interface Body {
        void run() throws Exception;
    }

    /** The exit status of a command that ended; a dropped connection or a signal fails the step. */
    private int ended(String what, CommandResult result) throws StepFailedException {
        if (result.disconnected()) {
            throw new StepFailedException("the connection to " + context.machine().endpoint().describe()
                    + " dropped during " + what);
        }
        if (result.signal() != null) {
            throw new StepFailedException(what + " was killed by signal " + result.signal());
        }
        return result.exitStatus();
    }

    private Communicator communicator() throws Exception {
        return context.communicator();
    }

    private static String files(Transfer done) {
        return done.files() == 1 ? "" : done.files() + " files, ";
    }

    /** Shell words for a command line, each quoted when it needs to be. */
    static String words(List<String> words) {
        List<String> quoted = new ArrayList<>();
        words.forEach(w -> quoted.add(ShellQuoting.quote(w)));
        return String.join(" ", quoted);
    }
}
