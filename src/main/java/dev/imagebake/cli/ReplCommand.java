package dev.imagebake.cli;

import dev.imagebake.builder.azure.AzureOptions;
import dev.imagebake.dsl.Diagnostic;
import dev.imagebake.dsl.TemplateEvaluator;
import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.dsl.sandbox.Limits;
import dev.imagebake.plan.Build;
import dev.imagebake.repl.Repl;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/** {@code imagebake repl}: an interactive session on the template language and a live build machine. */
@Command(name = "repl", mixinStandardHelpOptions = true,
        description = "Evaluate template statements interactively; :start keeps a builder's machine and runs "
                + "provision statements on it at once; :save writes what worked as a template. :help inside.")
final class ReplCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "TEMPLATE", description = "A template to load first.")
    Path template;

    @Option(names = "-var", paramLabel = "NAME=VALUE", description = "Set a variable (repeatable; highest "
            + "precedence).")
    List<String> vars = new ArrayList<>();

    @Option(names = "-var-file", paramLabel = "FILE",
            description = "Read variables from a JSON file or a Groovy file of `name = value` lines (repeatable).")
    List<Path> varFiles = new ArrayList<>();

    @Option(names = "--emulator", description = "Start the azure builder's machine on a local Azure emulator run "
            + "in this process on a temporary folder.")
    boolean emulator;

    @Option(names = "--cloud", paramLabel = "FILE", description = "Start the azure builder's machine on the cloud "
            + "described by FILE (default: $IMAGEBAKE_CLOUD).")
    Path cloud;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        String fromEnv = main.environment.get("IMAGEBAKE_CLOUD");
        if (cloud == null && fromEnv != null && !fromEnv.isEmpty()) {
            cloud = Path.of(fromEnv);
        }
        if (emulator && cloud != null) {
            main.err.println("Error: --emulator and --cloud (or IMAGEBAKE_CLOUD) exclude each other");
            return ExitCodes.INVALID;
        }
        try (LocalEmulator local = emulator ? LocalEmulator.start(main.err, List.of(), null) : null) {
            return session(local != null ? local.cloudFile() : cloud, local);
        }
    }

    private int session(Path cloudFile, LocalEmulator local) throws Exception {
        TemplateEvaluator evaluator = new TemplateEvaluator(Limits.DEFAULT);
        VariableInputs.Builder inputs = new VariableInputs.Builder(main.environment);
        List<Diagnostic> problems = new ArrayList<>();
        for (Path file : varFiles) {
            TemplateOptions.readVarFile(evaluator, file, inputs, problems);
        }
        if (!problems.isEmpty()) {
            problems.forEach(main.err::println);
            main.err.println(problems.size() == 1 ? "1 error." : problems.size() + " errors.");
            return ExitCodes.INVALID;
        }
        for (String assignment : vars) {
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                main.err.println("Error: -var takes NAME=VALUE; got '" + assignment + "'");
                return ExitCodes.INVALID;
            }
            inputs.put(assignment.substring(0, eq), assignment.substring(eq + 1), "-var");
        }
        String home = main.environment.getOrDefault("HOME", System.getProperty("user.home"));
        Path history = Path.of(main.environment.getOrDefault("IMAGEBAKE_REPL_HISTORY",
                home + "/.imagebake/repl_history"));
        java.nio.file.Files.createDirectories(history.toAbsolutePath().getParent());
        boolean tty = System.console() != null;
        // Without a terminal (piped input, a script) JLine reads the plain streams, and Ctrl-C comes as a signal.
        try (Terminal terminal = tty ? TerminalBuilder.builder().name("imagebake").system(true).build()
                : Repl.dumbTerminal(System.in, main.out)) {
            // On the built-in emulator, :start first makes what the build publishes to, as build --emulator does.
            Consumer<Build> beforeStart = local == null ? build -> { } : build -> {
                try {
                    local.prepareDestinations(List.of(build), main.err, false);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
            Repl repl = new Repl(terminal, new Repl.Settings(evaluator, inputs.build(),
                    template == null ? Path.of("").toAbsolutePath() : template.toAbsolutePath().getParent(),
                    history, main.environment.get("NO_COLOR") == null,
                    new AzureOptions(cloudFile, template, main.environment, false), beforeStart));
            boolean dumb = Terminal.TYPE_DUMB.equals(terminal.getType())
                    || Terminal.TYPE_DUMB_COLOR.equals(terminal.getType());
            if (!tty) {
                // A script: SIGINT or SIGTERM ends it, as it ends `build`. What runs on the machine is stopped first;
                // the machine is then cleaned up (by the REPL, or by the shutdown hooks below when it was idle).
                Signals.install(() -> {
                    if (!repl.interruptAndLeave()) {
                        System.exit(ExitCodes.INTERRUPTED);
                    }
                });
            } else if (dumb) {
                // TERM=dumb: the terminal's own line discipline turns Ctrl-C into SIGINT, which JLine's dumb terminal
                // does not catch. Handed to it, Ctrl-C does what it does in any terminal: drops the line at the
                // prompt, stops what runs on the machine otherwise.
                Signals.installInterrupt(() -> terminal.raise(Terminal.Signal.INT));
            }
            // SIGTERM (and any other way the JVM ends while a machine runs) cleans it up too; on the built-in
            // emulator, before the emulator stops and its folder (CA key, client secret) goes.
            Thread cleanup = local == null ? new Thread(repl::cleanUp, "imagebake-repl-cleanup") : null;
            if (cleanup != null) {
                Runtime.getRuntime().addShutdownHook(cleanup);
            } else {
                local.beforeStop(repl::cleanUp);
            }
            try {
                return repl.run(template == null ? null : template.getFileName());
            } finally {
                if (cleanup != null) {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                }
                if (!tty || dumb) {
                    Signals.restore();
                }
            }
        }
    }
}
