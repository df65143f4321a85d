package dev.imagebake.cli;

import dev.imagebake.builder.azure.AzureClients;
import dev.imagebake.builder.azure.CacheStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code imagebake cache list}: the step cache's snapshots in the subscription. */
@Command(name = "cache", mixinStandardHelpOptions = true,
        description = "The step cache (`cache true` in the azure builder): the OS disk snapshots builds start from.",
        subcommands = {CacheCommand.ListCommand.class})
final class CacheCommand implements Runnable {
    @ParentCommand
    Main main;

    @Override
    public void run() {
        main.err.println("Error: say what to do with the cache: imagebake cache list");
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the step cache's snapshots: the step each one follows, its template and source image,"
                    + " and when it expires (imagebake gc deletes expired ones).")
    static final class ListCommand implements Callable<Integer> {
        @Option(names = "--cloud", paramLabel = "FILE",
                description = "Reach Azure through this cloud file (default: $IMAGEBAKE_CLOUD, else public Azure with "
                        + "the SDK's default credential chain and $AZURE_SUBSCRIPTION_ID).")
        Path cloud;

        @ParentCommand
        CacheCommand parent;

        @Override
        public Integer call() {
            Main main = parent.main;
            AzureClients clients = GcCommand.clients(main, cloud);
            if (clients == null) {
                return ExitCodes.INVALID;
            }
            List<CacheStore.Entry> entries = new CacheStore(clients).list(Instant.now());
            if (entries.isEmpty()) {
                main.out.println("The step cache is empty: no snapshot carries an imagebake-cache-key tag.");
                return ExitCodes.OK;
            }
            main.out.println(String.format("%-44s  %-5s  %-22s  %-20s  %-20s  %s", "SNAPSHOT", "STEP", "TEMPLATE",
                    "CREATED", "EXPIRES", "AFTER"));
            for (CacheStore.Entry e : entries) {
                String state = !e.complete() ? "  (being made)" : e.expired() ? "  (expired)" : "";
                main.out.println(String.format("%-44s  %-5d  %-22s  %-20s  %-20s  %s%s", e.name(), e.step(),
                        e.template(), e.created(), e.expires(), e.stepName(), state));
            }
            long live = entries.stream().filter(e -> e.complete() && !e.expired()).count();
            main.out.println(entries.size() + " snapshot(s), " + live + " usable; sources: " + String.join("; ",
                    entries.stream().map(CacheStore.Entry::source).distinct().toList()));
            return ExitCodes.OK;
        }
    }
}
