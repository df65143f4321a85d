package dev.imagebake.repl;

/** {@code :load FILE}: loads a template; its steps are planned, :run runs them. */
final class LoadCommand implements Command {
    @Override
    public String name() {
        return "load";
    }

    @Override
    public String usage() {
        return ":load FILE";
    }

    @Override
    public String help() {
        return "loads a template; its steps are planned, :run runs them.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.session().load(java.nio.file.Path.of(Repl.required(argument, usage())));
    }
}
