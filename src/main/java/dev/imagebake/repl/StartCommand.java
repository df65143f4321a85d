package dev.imagebake.repl;

import java.util.List;

/**
 * {@code :start [BUILDER] [--force]}: boots the builder's machine and keeps it; provision statements then run at once.
 * {@code --force} means what it means to {@code build}: baking may replace an existing managed image or gallery
 * image version.
 */
final class StartCommand implements Command {
    static final String FORCE = "--force";

    @Override
    public String name() {
        return "start";
    }

    @Override
    public String usage() {
        return ":start [BUILDER] [--force]";
    }

    @Override
    public String help() {
        return "boots the builder's machine and keeps it; provision statements then run at once "
                + "(--force: :bake may replace an existing image or gallery version, as build --force)";
    }

    @Override
    public List<String> options() {
        return List.of(FORCE);
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        String builder = null;
        boolean force = false;
        for (String word : argument.isBlank() ? new String[0] : argument.strip().split("\\s+")) {
            if (word.equals(FORCE)) {
                force = true;
            } else if (word.startsWith("-")) {
                throw new ReplException("unknown option " + word + "; usage: " + usage());
            } else if (builder == null) {
                builder = word;
            } else {
                throw new ReplException("usage: " + usage());
            }
        }
        repl.session().start(builder, force);
    }
}
