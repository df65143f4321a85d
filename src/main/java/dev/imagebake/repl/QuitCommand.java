package dev.imagebake.repl;

/** {@code :quit}: leaves the REPL (so does Ctrl-D), offering to clean up a running machine. */
final class QuitCommand implements Command {
    @Override
    public String name() {
        return "quit";
    }

    @Override
    public String usage() {
        return ":quit";
    }

    @Override
    public String help() {
        return "leaves the REPL (so does Ctrl-D), offering to clean up a running machine.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.quit();
    }
}
