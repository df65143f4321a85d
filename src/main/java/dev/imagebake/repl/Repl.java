package dev.imagebake.repl;

import dev.imagebake.builder.azure.AzureOptions;
import dev.imagebake.plan.Build;
import dev.imagebake.dsl.Suggestions;
import dev.imagebake.dsl.TemplateEvaluator;
import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.engine.Secrets;
import dev.imagebake.report.ConsoleReporter;
import dev.imagebake.report.Reporters;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The read-eval-print loop on a JLine terminal: a real one, or a dumb one over piped streams (scripts, tests).
 * Lines go to the {@link ReplSession}: {@code :commands}, {@code !shell commands}, or template statements.
 */
public final class Repl {
    /** The prompt, for scripts that read the output. */
    public static final String PROMPT_TEXT = "imagebake> ";
    static final String PROMPT = PROMPT_TEXT;
    private static final List<Command> COMMANDS = List.of(new HelpCommand(), new PlanCommand(), new LoadCommand(),
            new StartCommand(), new RunCommand(), new HistoryCommand(), new SaveCommand(), new BakeCommand(),
            new StopCommand(), new UploadCommand(), new DownloadCommand(), new QuitCommand());

    /**
     * What a REPL starts with.
     *
     * @param folder      what relative paths are relative to
     * @param historyFile where the line history is kept (inputs that hold secrets never are)
     */
    /**
     * @param beforeStart runs before {@code :start} boots a build's machine (the local emulator makes its
     *                    destinations there)
     */
    public record Settings(TemplateEvaluator evaluator, VariableInputs inputs, Path folder, Path historyFile,
                           boolean color, AzureOptions azure, Consumer<Build> beforeStart) {
        public Settings(TemplateEvaluator evaluator, VariableInputs inputs, Path folder, Path historyFile,
                        boolean color, AzureOptions azure) {
            this(evaluator, inputs, folder, historyFile, color, azure, build -> { });
        }

        public Settings(TemplateEvaluator evaluator, VariableInputs inputs, Path folder, Path historyFile,
                        boolean color) {
            this(evaluator, inputs, folder, historyFile, color, new AzureOptions(null, null, java.util.Map.of(), false));
        }
    }

    private final Terminal terminal;
    private final PrintStream out;
    private final ReplSession session;
    private final Map<String, Command> commands = new LinkedHashMap<>();
    private final SecretAwareHistory history;
    private final LineReader reader;
    private final boolean piped;
    private boolean quitting;
    private boolean stuck;
    private volatile boolean busy;
    private volatile boolean leaving;
    private int linesRead;
    private int failedInputs;

    public Repl(Terminal terminal, Settings settings) {
        this.terminal = terminal;
        this.out = new PrintStream(terminal.output(), true, StandardCharsets.UTF_8);
        Secrets secrets = new Secrets(List.of());
        this.piped = Terminal.TYPE_DUMB.equals(terminal.getType()) || Terminal.TYPE_DUMB_COLOR.equals(
                terminal.getType());
        this.session = new ReplSession(settings.evaluator(), settings.inputs(), settings.folder(), out, secrets,
                new Reporters(secrets, List.of(new ConsoleReporter(out, settings.color() && !piped, !piped))));
        session.azure(settings.azure());
        session.beforeStart(settings.beforeStart());
        COMMANDS.forEach(c -> commands.put(c.name(), c));
        this.history = new SecretAwareHistory(session::holdsSecret);
        this.reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("imagebake")
                .parser(new ReplParser())
                .completer(completer())
                .history(history)
                .variable(LineReader.HISTORY_FILE, settings.historyFile())
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, "%P ...> ")
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true) // `!command` is ours, not history expansion
                .build();
    }

    /** Completes the REPL's commands, their options, and the template language. */
    static ReplCompleter completer() {
        Map<String, List<String>> options = new LinkedHashMap<>();
        COMMANDS.stream().filter(c -> !c.options().isEmpty()).forEach(c -> options.put(c.name(), c.options()));
        return new ReplCompleter(new java.util.TreeSet<>(COMMANDS.stream().map(Command::name).toList()), options);
    }

    /** A dumb terminal over plain streams: piped input, scripts and specs. */
    public static Terminal dumbTerminal(java.io.InputStream in, java.io.OutputStream out) throws IOException {
        return new org.jline.terminal.impl.DumbTerminal("imagebake", Terminal.TYPE_DUMB, in, out,
                StandardCharsets.UTF_8);
    }

    /**
     * Ctrl-C while a step or command runs: stops it on the machine (its remote processes end); the session goes on.
     *
     * @return whether something was running
     */
    public boolean interrupt() {
        if (!busy) {
            return false;
        }
        if (session.machineInUse()) {
            out.println("\nCtrl-C: stopping what runs on the machine");
        }
        session.interrupt();
        return true;
    }

    /**
     * SIGINT or SIGTERM with no terminal (a script): stops what runs on the machine, then ends the session as
     * {@code build} does: the machine is cleaned up and {@link #run} returns {@value #INTERRUPTED}. The caller ends the
     * process itself when nothing was running.
     *
     * @return whether something was running (the session ends once it has stopped)
     */
    public boolean interruptAndLeave() {
        if (!busy) {
            return false;
        }
        leaving = true;
        interrupt();
        return true;
    }

    /** The exit code of a session that a signal ended. */
    public static final int INTERRUPTED = 130;
    /** What {@link #run} returns after an evaluation that could not be stopped (as {@code validate} exits then). */
    public static final int STUCK = 2;

    /** Cleans up a running machine, for when the process must end (a signal): nothing is left silently. */
    public void cleanUp() {
        if (session.running()) {
            out.println("\ncleaning up before leaving");
            session.stop();
        }
    }

    /**
     * Runs until {@code :quit} or the end of input.
     *
     * @param template a template to load first, or null
     * @return the exit code: with piped input (a script), 1 when an input failed (an error, a failed step or
     *         command), else 0
     */
    public int run(Path template) {
        // Ctrl-C while a step runs reaches this handler (the line editor has its own while it reads a line).
        terminal.handle(Terminal.Signal.INT, signal -> interrupt());
        out.println("imagebake repl: type template statements, :help for the commands, Ctrl-D to leave");
        if (template != null) {
            execute(":load " + template, 0);
        }
        while (!quitting && !leaving && !stuck) {
            String line;
            try {
                line = reader.readLine(PROMPT);
            } catch (UserInterruptException e) {
                if (piped) {
                    out.println(); // TERM=dumb: the terminal echoed ^C, and the next prompt needs a line of its own
                }
                continue; // Ctrl-C at the prompt drops the line, not the REPL
            } catch (EndOfFileException e) {
                out.println();
                quit();
                break;
            }
            int first = linesRead + 1;
            linesRead += line.split("\n", -1).length;
            execute(line, first);
            history.keep(line);
        }
        try {
            history.save();
        } catch (IOException e) {
            out.println("warning: could not save the history: " + dev.imagebake.util.IoErrors.describe(e));
        }
        if (leaving) {
            cleanUp();
            out.flush();
            return INTERRUPTED;
        }
        if (stuck) {
            cleanUp();
            out.flush();
            return STUCK;
        }
        if (piped && failedInputs > 0) {
            // A script's caller learns from the exit code that not everything worked.
            out.println(failedInputs + (failedInputs == 1 ? " input" : " inputs") + " failed");
            out.flush();
            return 1;
        }
        out.flush();
        return 0;
    }

    /**
     * Runs one input (a command, a shell command or template text); errors are printed, never thrown.
     *
     * @param lineNumber the input's first line in the session (what its steps are labelled by), or 0
     */
    void execute(String line, int lineNumber) {
        String text = line.strip();
        int failuresBefore = session.failures();
        boolean ok = true;
        session.beginInput();
        busy = true;
        try {
            if (text.isEmpty()) {
                return;
            } else if (text.startsWith(":")) {
                int space = text.indexOf(' ');
                String name = text.substring(1, space < 0 ? text.length() : space);
                String argument = space < 0 ? "" : text.substring(space + 1).strip();
                Command command = commands.get(name);
                if (command == null) {
                    out.println("error: unknown command :" + name + "." + closestCommands(name) + " :help lists them");
                    ok = false;
                } else {
                    command.run(this, argument);
                }
            } else if (text.startsWith("!")) {
                session.shell(text.substring(1).strip());
            } else {
                ok = session.evaluate(line, lineNumber);
            }
        } catch (ReplException e) {
            out.println("error: " + e.getMessage());
            ok = false;
        } catch (StuckEvaluationException e) {
            out.println("error: " + e.getMessage());
            ok = false;
            stuck = true;
        } catch (java.nio.file.NoSuchFileException e) {
            out.println("error: no such file: " + e.getFile());
            ok = false;
        } catch (Exception e) {
            out.println("error: " + dev.imagebake.util.IoErrors.describe(e));
            ok = false;
        } finally {
            busy = false;
            if (!ok || session.failures() > failuresBefore) {
                failedInputs++;
            }
            out.flush();
        }
    }

    /** " Did you mean `:plan`?": the commands the name begins (`:s`: save, start, stop), else the closest. */
    private String closestCommands(String name) {
        List<String> near = name.isEmpty() ? List.of() : commands.keySet().stream()
                .filter(c -> c.startsWith(name)).sorted().toList();
        if (near.isEmpty()) {
            near = Suggestions.closest(name, commands.keySet());
        }
        if (near.isEmpty()) {
            return "";
        }
        List<String> quoted = near.stream().map(c -> "`:" + c + "`").toList();
        return " Did you mean " + (quoted.size() == 1 ? quoted.get(0) : String.join(", ",
                quoted.subList(0, quoted.size() - 1)) + " or " + quoted.get(quoted.size() - 1)) + "?";
    }

    void help() {
        out.println("A line is a template statement (variable, builder, provision, def, a function, an expression),");
        out.println("evaluated in the template sandbox; open braces or triple quotes continue on the next line.");
        out.println("After :start, a provision statement runs at once on the machine.");
        int width = COMMANDS.stream().mapToInt(c -> c.usage().length()).max().orElse(0) + 2;
        out.println("  !COMMAND" + " ".repeat(width - "!COMMAND".length()) + "runs a shell command on the machine");
        for (Command c : COMMANDS) {
            out.println("  " + c.usage() + " ".repeat(width - c.usage().length()) + c.help());
        }
    }

    /** Leaves after offering to clean up a running machine; nothing is left behind without saying so. */
    void quit() {
        quitting = true;
        if (!session.running()) {
            return;
        }
        String answer;
        try {
            answer = reader.readLine("The machine of " + session.runningBuild()
                    + " is still running. Clean it up? [Y/n] ");
        } catch (UserInterruptException | EndOfFileException e) {
            answer = "";
        }
        if (answer.strip().toLowerCase().startsWith("n")) {
            quitting = false;
            out.println("kept it running; :stop cleans it up, :quit asks again");
            return;
        }
        session.stop();
    }

    ReplSession session() {
        return session;
    }

    PrintStream out() {
        return out;
    }

    static String required(String argument, String usage) {
        if (argument == null || argument.isBlank()) {
            throw new ReplException("usage: " + usage);
        }
        return argument.strip();
    }

    static String[] two(String argument, String usage) {
        String[] parts = argument == null ? new String[0] : argument.strip().split("\\s+");
        if (parts.length != 2) {
            throw new ReplException("usage: " + usage);
        }
        return parts;
    }
}
