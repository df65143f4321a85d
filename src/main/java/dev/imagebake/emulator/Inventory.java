package dev.imagebake.emulator;

import dev.imagebake.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every resource an emulator's data folder holds, for people ("what did my build leave behind?") and for leak
 * checks in tests and CI. Reads {@code state.json} directly; safe while an emulator runs on the folder, because
 * the emulator replaces that file by an atomic rename, so a reader sees either the old or the new state whole.
 */
public final class Inventory {
    /** One resource: its ARM ID and type, the resource group it lies in ({@code null} if none). */
    public record Entry(String id, String type, String resourceGroup, String location, String provisioningState) {
        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("id", id);
            json.put("type", type);
            json.put("resourceGroup", resourceGroup);
            json.put("location", location);
            json.put("provisioningState", provisioningState);
            return json;
        }
    }

    private final List<Entry> entries;

    private Inventory(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** Reads the folder's state; a folder without state holds nothing. */
    public static Inventory read(Path dataDir) throws IOException {
        String text;
        try {
            text = Files.readString(new DataDir(dataDir).stateFile());
        } catch (NoSuchFileException e) {
            return new Inventory(List.of());
        }
        List<Entry> entries = new ArrayList<>();
        if (Json.parse(text) instanceof Map<?, ?> state && state.get("resources") instanceof Map<?, ?> resources) {
            for (Object value : resources.values()) {
                if (value instanceof Map<?, ?> document && document.get("id") instanceof String id) {
                    Object properties = document.get("properties");
                    Object provisioning = properties instanceof Map<?, ?> p ? p.get("provisioningState") : null;
                    entries.add(new Entry(id, String.valueOf(document.get("type")), resourceGroup(id),
                            (String) document.get("location"), provisioning == null ? null : provisioning.toString()));
                }
            }
        }
        return new Inventory(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** {@code {"resources":[{id, type, resourceGroup, location, provisioningState}], "count": N}}. */
    public String toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("resources", entries.stream().map(Entry::toJson).toList());
        json.put("count", entries.size());
        return Json.writePretty(json);
    }

    /** Grouped per resource group (names sorted, case-insensitively), each resource as its type and ID. */
    public String render() {
        if (entries.isEmpty()) {
            return "No resources.\n";
        }
        Map<String, List<Entry>> groups = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Entry entry : entries) {
            groups.computeIfAbsent(entry.resourceGroup() == null ? "" : entry.resourceGroup(),
                    k -> new ArrayList<>()).add(entry);
        }
        int width = entries.stream().mapToInt(e -> e.type().length()).max().orElse(0);
        StringBuilder out = new StringBuilder();
        groups.forEach((group, members) -> {
            out.append(group.isEmpty() ? "Outside any resource group" : "Resource group " + group).append('\n');
            for (Entry entry : members) {
                out.append("  ").append(String.format(Locale.ROOT, "%-" + width + "s", entry.type())).append("  ")
                        .append(entry.id());
                if (entry.provisioningState() != null && !entry.provisioningState().equals("Succeeded")) {
                    out.append("  (").append(entry.provisioningState()).append(')');
                }
                out.append('\n');
            }
        });
        long groupCount = groups.keySet().stream().filter(g -> !g.isEmpty()).count();
        out.append(entries.size()).append(entries.size() == 1 ? " resource" : " resources").append(" in ")
                .append(groupCount).append(groupCount == 1 ? " resource group" : " resource groups").append('\n');
        return out.toString();
    }

    /** The resource group named in an ID ({@code /subscriptions/s/resourceGroups/NAME/...}), or {@code null}. */
    private static String resourceGroup(String id) {
        String[] segments = id.split("/");
        for (int i = 0; i + 1 < segments.length; i++) {
            if (segments[i].equalsIgnoreCase("resourceGroups")) {
                return segments[i + 1];
            }
        }
        return null;
    }
}
