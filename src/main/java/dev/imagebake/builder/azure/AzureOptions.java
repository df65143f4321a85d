package dev.imagebake.builder.azure;

import java.nio.file.Path;
import java.util.Map;

/**
 * What the command line adds to a template's azure settings.
 *
 * @param cloudFile   a cloud file from {@code --cloud} or {@code IMAGEBAKE_CLOUD}, overriding the template's cloud;
 *                    or null
 * @param template    the template file, recorded in the tags of temporary resources
 * @param environment environment variables (credentials and subscription for the SDK's default chain)
 * @param force       replace an existing managed image or gallery version
 */
public record AzureOptions(Path cloudFile, Path template, Map<String, String> environment, boolean force) {
    public AzureOptions {
        environment = Map.copyOf(environment);
    }
}
