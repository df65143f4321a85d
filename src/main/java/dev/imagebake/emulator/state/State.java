package dev.imagebake.emulator.state;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The mutable content of a {@link StateStore}; only touched under its lock. */
public final class State {
    private final Map<String, Map<String, Object>> resources;
    private final Map<String, Map<String, Object>> operations;

    State(Map<String, Map<String, Object>> resources, Map<String, Map<String, Object>> operations) {
        this.resources = resources;
        this.operations = operations;
    }

    public Map<String, Object> resource(String id) {
        return resources.get(key(id));
    }

    public void putResource(String id, Map<String, Object> document) {
        resources.put(key(id), document);
    }

    /** Removes the resource and everything whose ID lies beneath it (a resource group's contents). */
    public int removeTree(String id) {
        String prefix = key(id) + "/";
        int before = resources.size();
        resources.keySet().removeIf(k -> k.equals(key(id)) || k.startsWith(prefix));
        return before - resources.size();
    }

    /** The direct children {@code parentId/typeSegment/{name}}, in creation order. */
    public List<Map<String, Object>> children(String parentId, String typeSegment) {
        String prefix = key(parentId) + "/" + key(typeSegment) + "/";
        List<Map<String, Object>> found = new ArrayList<>();
        resources.forEach((k, document) -> {
            if (k.startsWith(prefix) && k.indexOf('/', prefix.length()) < 0) {
                found.add(document);
            }
        });
        return found;
    }

    /** Every resource document, in creation order (for reference checks across resource groups). */
    public List<Map<String, Object>> allResources() {
        return new ArrayList<>(resources.values());
    }

    public Map<String, Object> operation(String id) {
        return operations.get(id);
    }

    public void putOperation(String id, Map<String, Object> document) {
        operations.put(id, document);
    }

    public Map<String, Map<String, Object>> operations() {
        return operations;
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("version", 1);
        json.put("resources", resources);
        json.put("operations", operations);
        return json;
    }

    private static String key(String id) {
        return id.toLowerCase(Locale.ROOT);
    }
}
