package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandResult;
import dev.imagebake.communicator.Communicator;
import dev.imagebake.communicator.OutputListener;
import dev.imagebake.communicator.RemoteCommand;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.communicator.Transfer;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.FileStep;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code provision file}: uploads a file, a folder (modes kept) or inline content; or downloads. Where things land
 * follows Packer's file provisioner: a folder named without a trailing slash goes into an existing destination
 * folder as a folder of that name ({@code src} to {@code dest/src}) and becomes a destination that does not exist
 * ({@code src} to {@code dest}); with one, its contents go into the destination
 * ({@code src/} into {@code dest}); a file whose destination ends in {@code /} goes into that folder. Every
 * transfer is checked on both sides before the step succeeds.
 */
public final class FileProvisioner extends Provisioner<FileStep> {
    public FileProvisioner(FileStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        Communicator machine = context.communicator();
        if (spec.direction().equals("download")) {
            download(context, machine);
            return;
        }
        if (spec.content() != null) {
            String target = spec.destination().endsWith("/") ? spec.destination() + "content" : spec.destination();
            Transfer done = machine.upload(spec.content().getBytes(StandardCharsets.UTF_8), target, 0644);
            context.info("wrote " + spec.content().length() + " characters to " + target + " (" + done.verification()
                    + ")");
            return;
        }
        Path source = context.templateFolder().resolve(spec.source());
        if (!Files.exists(source)) {
            throw new StepFailedException("the source " + source + " does not exist on this host");
        }
        boolean folder = Files.isDirectory(source);
        String target = uploadTarget(spec.source(), folder,
                folder && !spec.source().endsWith("/") && isFolder(machine, spec.destination()), spec.destination());
        long started = System.nanoTime();
        Transfer done = machine.upload(source, target, spec.verify());
        context.info("uploaded " + spec.source() + " to " + target + " " + summary(done, started));
    }

    /**
     * Where an upload lands on the machine, by Packer's rules, which are scp's: a folder named without a trailing
     * slash goes inside a destination that is an existing folder, and becomes a destination that does not exist yet
     * (runner-images uploads {@code scripts/helpers} to a new {@code /imagegeneration/helpers} and runs
     * {@code /imagegeneration/helpers/install.sh}).
     */
    static String uploadTarget(String source, boolean folder, boolean destinationIsFolder, String destination) {
        if (folder) {
            if (source.endsWith("/") || !destinationIsFolder) {
                return destination;
            }
            return joined(destination, Path.of(source).getFileName().toString());
        }
        return destination.endsWith("/") ? destination + Path.of(source).getFileName() : destination;
    }

    /** Whether {@code path} is a folder on the machine now. */
    private static boolean isFolder(Communicator machine, String path) throws Exception {
        CommandResult result = machine.run(RemoteCommand.of("test -d " + ShellQuoting.quote(path)),
                OutputListener.IGNORE);
        if (result.disconnected()) {
            throw new StepFailedException("the connection to " + machine.describe() + " dropped while checking "
                    + "whether " + path + " is a folder");
        }
        return result.exitStatus() == 0;
    }

    private void download(BuildContext context, Communicator machine) throws Exception {
        Path local = context.templateFolder().resolve(spec.destination());
        String source = spec.source();
        if (spec.destination().endsWith("/") && !source.endsWith("/")) {
            local = local.resolve(Path.of(source).getFileName().toString());
        }
        try {
            if (local.getParent() != null) {
                Files.createDirectories(local.getParent());
            }
        } catch (IOException e) {
            throw new StepFailedException("cannot create the folder " + local.getParent() + " on this host: "
                    + e.getMessage());
        }
        long started = System.nanoTime();
        Transfer done = machine.download(source, local, spec.verify());
        context.info("downloaded " + source + " to " + local + " " + summary(done, started));
    }

    private static String summary(Transfer done, long startedNanos) {
        double seconds = (System.nanoTime() - startedNanos) / 1e9;
        String files = done.files() == 1 ? "" : done.files() + " files, ";
        return String.format("(%s%.1f MiB in %.2f s, %s)", files, done.bytes() / 1048576.0, seconds,
                done.verification());
    }

    private static String joined(String folder, String name) {
        return folder.endsWith("/") ? folder + name : folder + "/" + name;
    }
}
