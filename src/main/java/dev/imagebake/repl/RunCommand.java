package dev.imagebake.repl;

/** {@code :run}: runs the planned steps that have not run on the machine yet. */
final class RunCommand implements Command {
    @Override
    public String name() {
        return "run";
    }

    @Override
    public String usage() {
        return ":run";
    }

    @Override
    public String help() {
        return "runs the planned steps that have not run on the machine yet.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.session().runPending();
    }
}
