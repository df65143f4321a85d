package dev.imagebake.cli;

import dev.imagebake.builder.azure.AzureClients;
import dev.imagebake.builder.azure.AzureCloud;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.ScaleSetPost;
import dev.imagebake.rollout.AzureScaleSets;
import dev.imagebake.rollout.InstanceHealth;
import dev.imagebake.rollout.Rollout;
import dev.imagebake.rollout.RolloutResult;
import dev.imagebake.rollout.ScaleSets;
import dev.imagebake.util.DurationText;
import dev.imagebake.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code imagebake rollout}: what {@code post scaleSet} does after a bake, for an image that already exists. */
@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = "Point a VM scale set's model at an image and bring its instances to it, in batches checked "
                + "for health; --dry-run shows what would change.")
final class RolloutCommand implements Callable<Integer> {
    @Option(names = "--image", required = true, paramLabel = "ID",
            description = "The image's resource ID (a managed image or a gallery image version), or a marketplace "
                    + "image as PUBLISHER:OFFER:SKU:VERSION.")
    String image;

    @Option(names = "--scale-set", required = true, paramLabel = "RG/NAME", description = "The scale set.")
    String scaleSet;

    @Option(names = "--upgrade", paramLabel = "MODE", description = "rolling, manual or none (default: rolling "
            + "for a Rolling policy, manual for Manual; for Automatic, Azure upgrades and imagebake checks).")
    String upgrade;

    @Bounds(min = 5, max = 100)
    @Option(names = "--max-batch-percent", paramLabel = "N",
            description = "The largest share of instances upgraded at once, 5-100 (default 20; for a Rolling "
                    + "scale set, its own policy).")
    Integer maxBatchPercent;

    @Bounds(min = 0, max = 100)
    @Option(names = "--max-unhealthy-percent", paramLabel = "N",
            description = "The share of all instances that may be unhealthy; one more stops the roll (default 20; "
                    + "for a Rolling scale set, its own policy).")
    Integer maxUnhealthyPercent;

    @Bounds(min = 0, duration = true)
    @Option(names = "--pause", paramLabel = "DURATION", description = "Pause between batches, e.g. 30s (default "
            + "none; for a Rolling scale set, its own policy).")
    String pause;

    @Option(names = "--health-command", paramLabel = "CMD", description = "Run over SSH on each upgraded "
            + "instance; exit 0 means healthy. Needs --ssh-user and --ssh-key.")
    String healthCommand;

    @Option(names = "--ssh-user", paramLabel = "USER", description = "SSH user for --health-command.")
    String sshUser;

    @Option(names = "--ssh-key", paramLabel = "FILE", description = "Private key for --health-command.")
    String sshKey;

    @Option(names = "--health-url", paramLabel = "URL", description = "Must answer 2xx; {address} stands for the "
            + "instance's private IP.")
    String healthUrl;

    @Bounds(min = 0, aboveMin = true, duration = true)
    @Option(names = "--health-timeout", paramLabel = "DURATION", defaultValue = "5m",
            description = "How long an upgraded instance may take to become healthy (default ${DEFAULT-VALUE}).")
    String healthTimeout;

    @Option(names = "--rollback-on-failure", description = "On failure, return the model and the upgraded "
            + "instances to the previous image.")
    boolean rollback;

    @Option(names = "--dry-run", description = "Only show what would change.")
    boolean dryRun;

    @Option(names = "--json", description = "Print progress as JSON lines.")
    boolean json;

    @Option(names = "--cloud", paramLabel = "FILE", description = "Reach Azure through this cloud file (default: "
            + "$IMAGEBAKE_CLOUD, else public Azure with the SDK's default credentials and $AZURE_SUBSCRIPTION_ID).")
    Path cloud;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        ScaleSetPost settings;
        ScaleSets.ImageRef imageRef;
        try {
            settings = settings();
            imageRef = ScaleSets.ImageRef.parse(image);
        } catch (IllegalArgumentException e) {
            main.err.println("Error: " + e.getMessage());
            return ExitCodes.INVALID;
        }
        String fromEnv = main.environment.get("IMAGEBAKE_CLOUD");
        Path cloudFile = cloud != null ? cloud : fromEnv == null || fromEnv.isEmpty() ? null : Path.of(fromEnv);
        AtomicBoolean interrupted = new AtomicBoolean();
        Rollout rollout;
        try {
            AzureClients clients = new AzureClients(AzureCloud.resolve(AzureBuilderSpec.Auth.DEFAULT, cloudFile,
                    Path.of("."), main.environment));
            rollout = new Rollout(new AzureScaleSets(clients, interrupted::get),
                    InstanceHealth.of(settings.health(), Path.of(".")), settings.health() == null
                    ? Duration.ofMinutes(10) : settings.health().timeout(), this::print, interrupted::get,
                    Duration.ofSeconds(2)).cloudFile(cloudFile);
        } catch (IOException e) {
            main.err.println("Error: " + e.getMessage());
            return ExitCodes.INVALID;
        }
        Signals.install(() -> {
            if (interrupted.getAndSet(true)) {
                main.err.println("\nInterrupted again: quitting without saying where the scale set was left");
                System.exit(ExitCodes.INTERRUPTED);
            }
            main.err.println("\nInterrupted: stopping the roll-out (Azure finishes an operation already sent)");
        });
        RolloutResult result;
        try {
            result = rollout.run(settings, imageRef, dryRun);
        } catch (InterruptedException e) {
            return ExitCodes.INTERRUPTED;
        } catch (IllegalArgumentException | IllegalStateException | StepFailedException e) {
            main.err.println("Error: " + e.getMessage());
            return ExitCodes.FAILED;
        } finally {
            Signals.restore();
        }
        return result.ok() ? ExitCodes.OK : ExitCodes.FAILED;
    }

    private ScaleSetPost settings() {
        String[] parts = scaleSet.split("/");
        if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
            throw new IllegalArgumentException("--scale-set takes RESOURCE_GROUP/NAME; got '" + scaleSet + "'");
        }
        ScaleSetPost.Upgrade mode = ScaleSetPost.Upgrade.AUTO;
        if (upgrade != null) {
            mode = switch (upgrade.toLowerCase()) {
                case "rolling" -> ScaleSetPost.Upgrade.ROLLING;
                case "manual" -> ScaleSetPost.Upgrade.MANUAL;
                case "none" -> ScaleSetPost.Upgrade.NONE;
                default -> throw new IllegalArgumentException("--upgrade is rolling, manual or none; got '"
                        + upgrade + "'");
            };
        }
        if (healthCommand != null && (sshUser == null || sshKey == null)) {
            throw new IllegalArgumentException("--health-command runs over SSH and needs --ssh-user and --ssh-key");
        }
        ScaleSetPost.Health health = healthCommand == null && healthUrl == null ? null
                : new ScaleSetPost.Health(healthCommand, sshUser, sshKey, null, healthUrl,
                duration("--health-timeout", healthTimeout));
        return new ScaleSetPost(parts[0], parts[1], mode, maxBatchPercent, maxUnhealthyPercent,
                pause == null ? null : duration("--pause", pause), health, rollback,
                ScaleSetPost.ImageChoice.GALLERY);
    }

    private static Duration duration(String option, String text) {
        Duration parsed = DurationText.parse(text);
        if (parsed == null) {
            throw new IllegalArgumentException(option + " takes a duration like 30s or 5m; got '" + text + "'");
        }
        return parsed;
    }

    private void print(String event, String text, Map<String, Object> fields) {
        if (json) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("time", Instant.now().toString());
            line.put("event", event);
            line.putAll(fields);
            main.out.println(Json.write(line));
        } else {
            main.out.println(text);
        }
        main.out.flush();
    }
}
