package dev.imagebake.emulator.arm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The subscriptions of the emulator's one tenant: the default one (the cloud file's {@code subscriptionId}, where
 * clients build) first, then the others, for publishing or reading across subscriptions as a platform team's
 * galleries often require. A request for any other subscription is refused as ARM refuses it.
 */
public final class Subscriptions {
    private final String defaultId;
    private final List<String> others = new CopyOnWriteArrayList<>();
    private final Consumer<List<String>> onChange;

    /** @param onChange told the other subscriptions whenever one is added (to keep them with the data folder) */
    public Subscriptions(String defaultId, List<String> others, Consumer<List<String>> onChange) {
        this.defaultId = defaultId;
        this.onChange = onChange;
        for (String id : others) {
            if (!has(id)) {
                this.others.add(id);
            }
        }
    }

    public static Subscriptions only(String defaultId) {
        return new Subscriptions(defaultId, List.of(), ids -> { });
    }

    public String defaultId() {
        return defaultId;
    }

    /** Every subscription, the default one first. */
    public List<String> all() {
        List<String> ids = new ArrayList<>();
        ids.add(defaultId);
        ids.addAll(others);
        return ids;
    }

    public List<String> others() {
        return List.copyOf(others);
    }

    /** Whether the tenant has this subscription (ids compare case-insensitively, as ARM's do). */
    public boolean has(String id) {
        return all().stream().anyMatch(s -> s.equalsIgnoreCase(id));
    }

    /** The subscription as its owner spelled it, or null when the tenant has none such. */
    public String find(String id) {
        return all().stream().filter(s -> s.equalsIgnoreCase(id)).findFirst().orElse(null);
    }

    /** Adds a subscription to the tenant; adding one it has changes nothing. */
    public synchronized void add(String id) {
        if (id == null || id.isBlank() || id.contains("/") || !id.strip().equals(id)) {
            throw new IllegalArgumentException("a subscription id is one path segment without spaces; got '" + id
                    + "'");
        }
        if (has(id)) {
            return;
        }
        others.add(id);
        onChange.accept(others());
    }
}
