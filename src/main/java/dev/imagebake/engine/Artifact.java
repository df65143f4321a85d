package dev.imagebake.engine;

import java.util.List;
import java.util.Map;

/**
 * What a build produced.
 *
 * @param id      the artifact's identity, for example an image's resource id
 * @param files   files it consists of, if any
 * @param details more facts (regions, exact source version, ...), shown and written to the manifest
 */
public record Artifact(String builderType, String id, List<String> files, Map<String, String> details) {
    public Artifact {
        files = List.copyOf(files);
        details = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
    }
}
