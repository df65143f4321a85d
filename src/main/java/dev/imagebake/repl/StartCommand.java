package dev.imagebake.repl;

/** {@code :start [BUILDER]}: boots the builder's machine and keeps it; provision statements then run at once. */
final class StartCommand implements Command {
    @Override
    public String name() {
        return "start";
    }

    @Override
    public String usage() {
        return ":start [BUILDER]";
    }

    @Override
    public String help() {
        return "boots the builder's machine and keeps it; provision statements then run at once.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.session().start(argument);
    }
}
