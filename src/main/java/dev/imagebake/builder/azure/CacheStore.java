package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.SnapshotInner;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The step cache's snapshots in a subscription, for {@code imagebake cache list} and {@code imagebake gc}: every
 * snapshot with an {@code imagebake-cache-key} tag, wherever it is.
 */
public final class CacheStore {
    /**
     * One cached snapshot.
     *
     * @param complete false while its build is still making it (or died doing so: gc removes it as a leftover)
     */
    public record Entry(String id, String name, String location, int step, String stepName, String template,
                        String source, String created, String expires, boolean expired, boolean complete,
                        Integer sizeGb) {
    }

    private final AzureClients clients;

    public CacheStore(AzureClients clients) {
        this.clients = clients;
    }

    /** Every cache snapshot, oldest first; those made in the same second by step. */
    public List<Entry> list(Instant now) {
        List<Entry> entries = new ArrayList<>();
        for (SnapshotInner s : clients.compute().getSnapshots().list()) {
            Map<String, String> tags = s.tags();
            if (tags == null || !tags.containsKey(StepCache.TAG_KEY)) {
                continue;
            }
            int step;
            try {
                step = Integer.parseInt(tags.getOrDefault(StepCache.TAG_STEP, "0"));
            } catch (NumberFormatException e) {
                step = 0;
            }
            entries.add(new Entry(s.id(), s.name(), s.location(), step, tags.getOrDefault(StepCache.TAG_STEP_NAME, ""),
                    tags.getOrDefault(StepCache.TAG_TEMPLATE, ""), tags.getOrDefault(StepCache.TAG_SOURCE, ""),
                    tags.getOrDefault(StepCache.TAG_CREATED, ""), tags.getOrDefault(StepCache.TAG_EXPIRES, ""),
                    StepCache.expired(tags, now), !tags.containsKey(AzureBuild.TAG_BUILD)
                    && "Succeeded".equalsIgnoreCase(s.provisioningState()), s.diskSizeGB()));
        }
        entries.sort(Comparator.comparing(Entry::created).thenComparing(Entry::template).thenComparingInt(Entry::step)
                .thenComparing(Entry::name));
        return entries;
    }

    /** The complete snapshots whose time is up; incomplete ones are gc's leftovers, with their build's lease. */
    public List<Entry> expired(Instant now) {
        return list(now).stream().filter(e -> e.complete() && e.expired()).toList();
    }

    /** Deletes one snapshot and waits; a snapshot already gone counts as deleted. */
    public void delete(Entry entry) throws Exception {
        Resources.delete(clients, entry.id());
    }
}
