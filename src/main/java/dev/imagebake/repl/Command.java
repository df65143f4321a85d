package dev.imagebake.repl;

/** A REPL command, typed as {@code :name argument}. */
interface Command {
    String name();

    /** How it is typed, for example {@code :save FILE}. */
    String usage();

    /** One line on what it does. */
    String help();

    /** The options it takes ({@code --force}), for completion. */
    default java.util.List<String> options() {
        return java.util.List.of();
    }

    void run(Repl repl, String argument) throws Exception;
}
