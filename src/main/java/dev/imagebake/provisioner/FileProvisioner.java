package dev.imagebake.provisioner;

import dev.imagebake.communicator.Communicator;
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
 * follows Packer's file provisioner: a folder named without a trailing slash goes into the destination as a
 * folder of that name ({@code src} to {@code dest/src}); with one, its contents go into the destination
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
        String target = uploadTarget(spec.source(), Files.isDirectory(source), spec.destination());
        long started = System.nanoTime();
        Transfer done = machine.upload(source, target, spec.verify());
        context.info("uploaded " + spec.source() + " to " + target + " " + summary(done, started));
    }

    /** Where an upload lands on the machine, by Packer's rules. */
    static String uploadTarget(String source, boolean folder, String destination) {
        if (folder) {
            if (source.endsWith("/")) {
                return destination;
            }
            return joined(destination, Path.of(source).getFileName().toString());
        }
        return destination.endsWith("/") ? destination + Path.of(source).getFileName() : destination;
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
