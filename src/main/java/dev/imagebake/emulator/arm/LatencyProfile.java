package dev.imagebake.emulator.arm;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How long the emulator's long-running operations take. {@link #INSTANT} keeps the protocol but no waiting: an
 * operation completes at its first poll (see {@link Operations.Settings}). {@link #realistic} makes each operation
 * last as long as it typically does on Azure, times a scale factor (0.01 turns a 30 s VM creation into 0.3 s), and
 * then only the clock, not the number of polls, decides when it is done.
 *
 * <p>Typical durations (AZURE.md, "How long things take"): network resources a few seconds, VM create ~30 s,
 * powerOff ~4 s, deallocate ~40 s, managed image ~10 s, gallery version ~4 min per target region (8.5 min for two),
 * VM delete ~23 s, resource group delete several minutes. Values not measured there are marked "estimate" (disks
 * 5 s, snapshots 10 s to create and 5 s to delete, ...).
 */
public record LatencyProfile(String name, double timeScale) {
    /** Every operation completes at its first poll. */
    public static final LatencyProfile INSTANT = new LatencyProfile("instant", 0);

    public LatencyProfile {
        if (!name.equals("instant") && !name.equals("realistic")) {
            throw new IllegalArgumentException("unknown latency profile '" + name + "' (expected instant or realistic)");
        }
        if (!(timeScale >= 0) || Double.isInfinite(timeScale)) {
            throw new IllegalArgumentException("the time scale must be a number >= 0, not " + timeScale);
        }
    }

    /** Azure's typical durations multiplied by {@code timeScale}. */
    public static LatencyProfile realistic(double timeScale) {
        return new LatencyProfile("realistic", timeScale);
    }

    public boolean isInstant() {
        return name.equals("instant");
    }

    /**
     * How long an operation lasts, scaled; {@code null} for the instant profile.
     *
     * @param kind     the operation kind a provider registered, e.g. {@code compute.put}, {@code network.delete}
     * @param target   the resource ID it works on, {@code ID#action} for a POST action
     * @param document the target's stored document, when there is one (a gallery version's regions count)
     */
    public Duration duration(String kind, String target, Map<String, Object> document) {
        if (isInstant()) {
            return null;
        }
        double seconds = typicalSeconds(kind.toLowerCase(Locale.ROOT), target.toLowerCase(Locale.ROOT), document);
        return Duration.ofNanos(Math.round(seconds * timeScale * 1e9));
    }

    private static double typicalSeconds(String kind, String target, Map<String, Object> document) {
        int hash = target.indexOf('#');
        String action = hash < 0 ? null : target.substring(hash + 1);
        String type = lastType(hash < 0 ? target : target.substring(0, hash));
        boolean delete = kind.contains("delete");  // compute.delete, deleteResourceGroup
        if (action != null) {
            return switch (action) {
                case "poweroff" -> 4;
                case "deallocate" -> 40;
                case "start" -> 15;     // estimate
                case "restart" -> 20;   // estimate
                default -> 5;           // estimate
            };
        }
        return switch (type) {
            case "resourcegroups" -> delete ? 180 : 1;
            case "virtualmachines" -> delete ? 23 : 30;
            case "images" -> kind.startsWith("gallery") ? 5 : delete ? 5 : 10;  // gallery image definitions: estimate
            case "versions" -> delete ? 30 : 255 * Math.max(1, regions(document));
            case "galleries" -> 5;  // estimate
            case "disks" -> 5;      // estimate
            case "snapshots" -> delete ? 5 : 10;  // estimate: an incremental snapshot's copy runs in the background
            default -> 3;           // network resources: "a few seconds"
        };
    }

    /** The last type segment of an ARM ID: {@code virtualmachines} for {@code .../virtualmachines/vm-1}. */
    private static String lastType(String id) {
        String[] segments = id.split("/");
        int last = segments.length - 1;
        while (last > 0 && segments[last].isEmpty()) {
            last--;
        }
        return last >= 1 ? segments[last - 1] : "";
    }

    private static int regions(Map<String, Object> document) {
        if (document != null && document.get("properties") instanceof Map<?, ?> properties
                && properties.get("publishingProfile") instanceof Map<?, ?> publishing
                && publishing.get("targetRegions") instanceof List<?> regions) {
            return regions.size();
        }
        return 1;
    }
}
