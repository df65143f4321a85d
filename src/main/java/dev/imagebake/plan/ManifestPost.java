package dev.imagebake.plan;

import java.util.Map;

/**
 * Writes the build's artifacts to a JSON manifest, merging with an existing one.
 *
 * @param output     the manifest's path, relative to the working directory
 * @param stripPath  record only file names, not paths, of file artifacts
 * @param customData extra key/value pairs recorded with each build
 */
public record ManifestPost(String output, boolean stripPath, Map<String, String> customData) implements StepSpec {
    public ManifestPost {
        customData = Ordered.copy(customData);
    }

    @Override
    public String kind() {
        return "manifest";
    }

    @Override
    public boolean runsOnHost() {
        return true;
    }

    @Override
    public boolean postProcessor() {
        return true;
    }
}
