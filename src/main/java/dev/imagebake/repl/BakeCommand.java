package dev.imagebake.repl;

/** {@code :bake}: runs the builder's finishing steps (deprovision, capture), prints the artifact, cleans up. */
final class BakeCommand implements Command {
    @Override
    public String name() {
        return "bake";
    }

    @Override
    public String usage() {
        return ":bake";
    }

    @Override
    public String help() {
        return "runs the builder's finishing steps (deprovision, capture), prints the artifact, cleans up.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.session().bake();
    }
}
