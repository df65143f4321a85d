package dev.imagebake.repl;

/** {@code :stop}: cleans up the machine. */
final class StopCommand implements Command {
    @Override
    public String name() {
        return "stop";
    }

    @Override
    public String usage() {
        return ":stop";
    }

    @Override
    public String help() {
        return "cleans up the machine.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.session().stop();
    }
}
