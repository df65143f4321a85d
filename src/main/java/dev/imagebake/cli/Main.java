package dev.imagebake.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;

/** {@code imagebake}: the entry point. Commands are small classes that call the core. */
@Command(name = "imagebake", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Bakes custom Azure VM images from sandboxed Groovy templates.",
        footerHeading = "%nExit codes:%n",
        footer = {"  0    success", "  1    the build (or another action) failed",
                "  2    invalid template or invalid usage", "  130  interrupted"})
public final class Main implements Runnable {
    /**
     * The commands, in the order help lists them. Only the one a command line names is registered with picocli:
     * building the model of all of them (reflection over every option) cost 100-140 ms of each start on a cold JVM.
     * Help, a command line without a command, and an unknown command get all of them.
     */
    private static final java.util.List<Class<?>> COMMANDS = java.util.List.of(ValidateCommand.class,
            PlanCommand.class, ImportCommand.class, BuildCommand.class, ReplCommand.class, GcCommand.class,
            CacheCommand.class, RolloutCommand.class, EmulatorCommand.class, TrainCommand.class,
            CommandLine.HelpCommand.class);

    @Option(names = "--stacktrace", scope = CommandLine.ScopeType.INHERIT,
            description = "Print the stack trace of unexpected errors.")
    boolean stacktrace;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where commands write; set per run so that tests can capture it. */
    PrintStream out = System.out;
    PrintStream err = System.err;
    java.util.Map<String, String> environment = System.getenv();

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /** Runs one command line and returns its exit code; tests call this instead of starting a process. */
    public static int run(PrintStream out, PrintStream err, String... args) {
        return run(out, err, System.getenv(), args);
    }

    /** As {@link #run(PrintStream, PrintStream, String...)}, with the environment variables imagebake may read. */
    public static int run(PrintStream out, PrintStream err, java.util.Map<String, String> environment,
                          String... args) {
        // Without this, picocli starts the Groovy runtime to look for closures in annotations, even for --help.
        System.setProperty("picocli.disable.closures", "true");
        Main main = new Main();
        main.out = out;
        main.err = err;
        main.environment = environment;
        CommandLine line = new CommandLine(main);
        Class<?> named = named(args);
        for (Class<?> command : COMMANDS) {
            if (named == null || command == named) {
                line.addSubcommand(command.getAnnotation(Command.class).name(), command);
            }
        }
        line.setOut(new PrintWriter(out, true));
        line.setErr(new PrintWriter(err, true));
        line.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean trace = cmd.getCommandSpec().root().userObject() instanceof Main m && m.stacktrace;
            // Files and other unexpected failures are said in words, with the path, never as a Java class name.
            err.println("Error: " + dev.imagebake.util.IoErrors.describe(e));
            if (trace) {
                e.printStackTrace(err);
            } else {
                err.println("(run again with --stacktrace for details)");
            }
            return ExitCodes.FAILED;
        });
        line.setParameterExceptionHandler((e, a) -> {
            err.println("Error: " + e.getMessage());
            e.getCommandLine().usage(err);
            return ExitCodes.INVALID;
        });
        // Options out of their range are usage errors, refused alike for every command before it runs.
        line.setExecutionStrategy(parsed -> {
            Bounds.Check.check(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        int code = line.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The command the first word of a command line names (root options may come before it), or null. */
    private static Class<?> named(String[] args) {
        for (String arg : args) {
            if (arg.startsWith("-")) {
                continue;
            }
            for (Class<?> command : COMMANDS) {
                if (command != CommandLine.HelpCommand.class
                        && command.getAnnotation(Command.class).name().equals(arg)) {
                    return command;
                }
            }
            return null;
        }
        return null;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"imagebake " + (version == null ? "development" : version)};
        }
    }
}
