package dev.imagebake.repl;

/** {@code :save FILE}: writes the builder and the steps that succeeded as a template, then validates it. */
final class SaveCommand implements Command {
    @Override
    public String name() {
        return "save";
    }

    @Override
    public String usage() {
        return ":save FILE";
    }

    @Override
    public String help() {
        return "writes the builder and the steps that succeeded as a template, then validates it.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.session().save(java.nio.file.Path.of(Repl.required(argument, usage())));
    }
}
