package dev.imagebake.cli;

import dev.imagebake.builder.azure.AzureClients;
import dev.imagebake.builder.azure.AzureCloud;
import dev.imagebake.builder.azure.CacheStore;
import dev.imagebake.builder.azure.Leftovers;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.util.DurationText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code imagebake gc}: deletes what killed or crashed builds left in the subscription. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Find resources of imagebake builds that are over (lease expired, or their process on this "
                + "host gone) and delete them: the recovery path after a kill -9. A build kept for build --resume is "
                + "left alone until its resume lease ends. Also deletes the step cache's snapshots whose time (cache "
                + "ttl) is up.")
final class GcCommand implements Callable<Integer> {
    @Option(names = "--dry-run", description = "Only list what would be deleted.")
    boolean dryRun;

    @Option(names = "--include-artifacts",
            description = "Also delete the finished images (managed images, gallery image versions) of builds that "
                    + "died before recording them; without it they are only listed.")
    boolean includeArtifacts;

    @Bounds(min = 0, duration = true)
    @Option(names = "--older-than", paramLabel = "DURATION",
            description = "Also count builds that started longer ago than this (e.g. 2h) as over.")
    String olderThan;

    @Option(names = "--cloud", paramLabel = "FILE",
            description = "Reach Azure through this cloud file (default: $IMAGEBAKE_CLOUD, else public Azure with "
                    + "the SDK's default credential chain and $AZURE_SUBSCRIPTION_ID).")
    Path cloud;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        Duration age = olderThan == null ? null : DurationText.parse(olderThan);
        if (olderThan != null && age == null) {
            main.err.println("Error: --older-than takes a duration like 2h or 30m; got '" + olderThan + "'");
            return ExitCodes.INVALID;
        }
        AzureClients clients = clients(main, cloud);
        if (clients == null) {
            return ExitCodes.INVALID;
        }
        Leftovers leftovers = new Leftovers(clients);
        Leftovers.Found scan = leftovers.scan(age, Instant.now());
        // Leftovers first: an unfinished gallery version may have been made from a finished image.
        List<Leftovers.Leftover> found = new java.util.ArrayList<>(scan.leftovers());
        if (includeArtifacts) {
            found.addAll(scan.artifacts());
        } else if (!scan.artifacts().isEmpty()) {
            main.out.println("Kept " + scan.artifacts().size() + " finished image(s) of builds that did not end "
                    + "(delete them too with --include-artifacts):");
            for (Leftovers.Leftover l : scan.artifacts()) {
                main.out.println("  " + l.id() + "  (build " + l.build() + ")");
            }
        }
        for (Leftovers.Held held : scan.held()) {
            main.out.println("Held for build --resume until " + held.until() + ": build " + held.build()
                    + (held.record() == null ? "" : " (resume record " + held.record() + ")")
                    + "; gc leaves it alone until then:");
            for (String id : held.ids()) {
                main.out.println("  " + id);
            }
        }
        CacheStore cache = new CacheStore(clients);
        List<CacheStore.Entry> expired = cache.expired(Instant.now());
        if (found.isEmpty() && expired.isEmpty()) {
            main.out.println("Nothing to clean up: no imagebake build has left resources behind, and no step cache "
                    + "snapshot has expired.");
            return ExitCodes.OK;
        }
        List<String> failed = new java.util.ArrayList<>();
        if (!expired.isEmpty()) {
            main.out.println((dryRun ? "Would delete " : "Deleting ") + expired.size()
                    + " expired step cache snapshot(s):");
            for (CacheStore.Entry e : expired) {
                main.out.println("  " + e.id() + "  (after step " + e.step() + " of " + e.template() + ", expired "
                        + e.expires() + ")");
                if (!dryRun) {
                    try {
                        cache.delete(e);
                    } catch (Exception ex) {
                        failed.add(e.id() + ": " + dev.imagebake.builder.azure.AzureErrors.describe(
                                ex.getCause() != null ? ex.getCause() : ex));
                    }
                }
            }
        }
        if (found.isEmpty()) {
            return report(failed, 0);
        }
        main.out.println((dryRun ? "Would delete " : "Deleting ") + found.size() + " leftover(s):");
        for (Leftovers.Leftover l : found) {
            main.out.println("  " + l.id() + "  (build " + l.build() + ": " + l.reason() + ")");
        }
        if (dryRun) {
            return ExitCodes.OK;
        }
        failed.addAll(leftovers.delete(found, line -> main.out.println(line)));
        return report(failed, found.size());
    }

    private int report(List<String> failed, int leftovers) {
        if (!failed.isEmpty()) {
            main.err.println("Could not delete " + failed.size() + " resource(s); they are still there:");
            failed.forEach(f -> main.err.println("  " + f));
            return ExitCodes.FAILED;
        }
        if (leftovers > 0) {
            main.out.println("Deleted " + leftovers + " leftover(s).");
        }
        return ExitCodes.OK;
    }

    /**
     * Clients for the cloud a maintenance command works on: {@code --cloud}, else {@code $IMAGEBAKE_CLOUD}, else
     * public Azure with the SDK's default credential chain; null after printing why not.
     */
    static AzureClients clients(Main main, Path cloud) {
        String fromEnv = main.environment.get("IMAGEBAKE_CLOUD");
        Path cloudFile = cloud != null ? cloud : fromEnv == null || fromEnv.isEmpty() ? null : Path.of(fromEnv);
        try {
            return new AzureClients(AzureCloud.resolve(AzureBuilderSpec.Auth.DEFAULT, cloudFile, Path.of("."),
                    main.environment));
        } catch (IOException e) {
            main.err.println("Error: " + e.getMessage());
            return null;
        }
    }
}
