package dev.imagebake.repl;

/** {@code :history}: shows the steps and commands tried on the machine and how each ended. */
final class HistoryCommand implements Command {
    @Override
    public String name() {
        return "history";
    }

    @Override
    public String usage() {
        return ":history";
    }

    @Override
    public String help() {
        return "shows the steps and commands tried on the machine and how each ended.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.out().print(repl.session().renderHistory());
    }
}
