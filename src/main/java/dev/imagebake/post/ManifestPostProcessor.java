package dev.imagebake.post;

import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.ManifestPost;
import dev.imagebake.util.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code post manifest}: appends this build's artifacts to a JSON manifest, keeping what earlier runs wrote (as
 * Packer's manifest post-processor does). Builds running in parallel take turns; the file is replaced atomically.
 */
public final class ManifestPostProcessor implements BuildStep {
    private static final Object LOCK = new Object();
    private final ManifestPost spec;
    private final String runId;
    private final String name;

    public ManifestPostProcessor(ManifestPost spec, String runId, String name) {
        this.spec = spec;
        this.runId = runId;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(BuildContext context) throws Exception {
        Path output = Path.of(spec.output());
        synchronized (LOCK) {
            Map<String, Object> manifest = read(output);
            @SuppressWarnings("unchecked")
            List<Object> builds = (List<Object>) manifest.computeIfAbsent("builds", k -> new ArrayList<>());
            // Written when an artifact appears and again when the build ends: this run's entries replace the last.
            builds.removeIf(b -> b instanceof Map<?, ?> entry && runId.equals(entry.get("packer_run_uuid"))
                    && context.name().equals(entry.get("name")));
            for (Artifact artifact : context.artifacts()) {
                // Packer's field names, so that the scripts that read a Packer manifest read this one too.
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("name", context.name());
                entry.put("builder_type", artifact.builderType());
                entry.put("build_time", Instant.now().getEpochSecond());
                entry.put("files", files(artifact));
                entry.put("artifact_id", context.secrets().redact(artifact.id()));
                entry.put("packer_run_uuid", runId);
                entry.put("custom_data", redacted(context, spec.customData()));
                entry.put("details", redacted(context, artifact.details()));
                entry.put("status", context.finalStatus() == null ? "running" : context.finalStatus().label());
                if (!context.finalLeftovers().isEmpty()) {
                    entry.put("leftovers", context.finalLeftovers().stream().map(context.secrets()::redact).toList());
                }
                builds.add(entry);
            }
            manifest.put("last_run_uuid", runId);
            Path parent = output.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path temporary = Files.createTempFile(parent, ".manifest-", ".json");
            Files.writeString(temporary, Json.writePretty(manifest));
            Files.move(temporary, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        context.info("manifest written to " + output);
    }

    /** Each file as Packer records it: its name (only the file name with {@code stripPath}) and size in bytes. */
    private List<Map<String, Object>> files(Artifact artifact) {
        List<Map<String, Object>> files = new ArrayList<>();
        for (String file : artifact.files()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("name", spec.stripPath() ? Path.of(file).getFileName().toString() : file);
            try {
                entry.put("size", Files.size(Path.of(file)));
            } catch (java.io.IOException e) {
                entry.put("size", null);
            }
            files.add(entry);
        }
        return files;
    }

    private static Map<String, Object> redacted(BuildContext context, Map<String, String> values) {
        Map<String, Object> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, context.secrets().redact(v)));
        return out;
    }

    private static Map<String, Object> read(Path output) throws Exception {
        if (!Files.exists(output)) {
            return new LinkedHashMap<>();
        }
        try {
            if (Json.parse(Files.readString(output)) instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> typed = (Map<String, Object>) map;
                return new LinkedHashMap<>(typed);
            }
        } catch (IllegalArgumentException e) {
            throw new StepFailedException(output + " is not a valid manifest (" + e.getMessage()
                    + "); move it away or fix it");
        }
        throw new StepFailedException(output + " is not a manifest (expected a JSON object)");
    }
}
