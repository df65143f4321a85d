package dev.imagebake.repl;

/** {@code :help}: lists the commands and what a line can be. */
final class HelpCommand implements Command {
    @Override
    public String name() {
        return "help";
    }

    @Override
    public String usage() {
        return ":help";
    }

    @Override
    public String help() {
        return "lists the commands and what a line can be.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.help();
    }
}
