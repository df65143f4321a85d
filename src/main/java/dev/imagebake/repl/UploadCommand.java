package dev.imagebake.repl;

/** {@code :upload LOCAL REMOTE}: copies a file or folder to the machine. */
final class UploadCommand implements Command {
    @Override
    public String name() {
        return "upload";
    }

    @Override
    public String usage() {
        return ":upload LOCAL REMOTE";
    }

    @Override
    public String help() {
        return "copies a file or folder to the machine.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        String[] paths = Repl.two(argument, usage());
        repl.session().upload(java.nio.file.Path.of(paths[0]), paths[1]);
    }
}
