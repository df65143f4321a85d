package dev.imagebake.repl;

/** {@code :download REMOTE LOCAL}: copies a file from the machine. */
final class DownloadCommand implements Command {
    @Override
    public String name() {
        return "download";
    }

    @Override
    public String usage() {
        return ":download REMOTE LOCAL";
    }

    @Override
    public String help() {
        return "copies a file from the machine.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        String[] paths = Repl.two(argument, usage());
        repl.session().download(paths[0], java.nio.file.Path.of(paths[1]));
    }
}
