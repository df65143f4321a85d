package dev.imagebake.provisioner;

import dev.imagebake.communicator.Communicator;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.FileStep;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code provision file}: uploads a file, a folder (modes kept) or inline content; or downloads. A destination
 * ending in {@code /} is a folder the source goes into, as with cp.
 */
public final class FileProvisioner extends Provisioner<FileStep> {
    public FileProvisioner(FileStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        Communicator machine = context.communicator();
        if (spec.direction().equals("download")) {
            Path local = Path.of(spec.destination());
            if (spec.destination().endsWith("/")) {
                Files.createDirectories(local);
                local = local.resolve(Path.of(spec.source()).getFileName());
            }
            machine.download(spec.source(), local);
            context.info("downloaded " + spec.source() + " to " + local);
            return;
        }
        if (spec.content() != null) {
            String target = spec.destination().endsWith("/") ? spec.destination() + "content" : spec.destination();
            machine.upload(spec.content().getBytes(StandardCharsets.UTF_8), target, 0644);
            context.info("wrote " + spec.content().length() + " characters to " + target);
            return;
        }
        Path source = context.templateFolder().resolve(spec.source());
        if (!Files.exists(source)) {
            throw new StepFailedException("no file or folder " + source);
        }
        String target = spec.destination().endsWith("/")
                ? spec.destination() + source.getFileName() : spec.destination();
        long started = System.nanoTime();
        machine.upload(source, target);
        double seconds = (System.nanoTime() - started) / 1e9;
        long bytes = Files.isRegularFile(source) ? Files.size(source) : -1;
        context.info("uploaded " + spec.source() + " to " + target + (bytes < 0 ? ""
                : String.format(" (%.1f MiB in %.2f s)", bytes / 1048576.0, seconds)));
    }
}
