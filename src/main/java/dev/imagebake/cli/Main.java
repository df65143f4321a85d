package dev.imagebake.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.io.PrintWriter;

/** {@code imagebake}: the entry point. Commands are small classes that call the core. */
@Command(name = "imagebake", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {ValidateCommand.class, PlanCommand.class, ImportCommand.class, BuildCommand.class, ReplCommand.class,
                GcCommand.class, CacheCommand.class, RolloutCommand.class, EmulatorCommand.class, TrainCommand.class, CommandLine.HelpCommand.class},
        description = "Bakes custom Azure VM images from sandboxed Groovy templates.",
        footerHeading = "%nExit codes:%n",
        footer = {"  0    success", "  1    the build (or another action) failed",
                "  2    invalid template or invalid usage", "  130  interrupted"})
public final class Main implements Runnable {
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
