package dev.imagebake.engine;

import dev.imagebake.util.Json;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code build --resume} needs to continue a build that failed with {@code --on-error=abort}: per build, the
 * kept machine (where it is, its pinned host key, the cloud resources that hold it) and the provisioning steps that
 * succeeded, each with a hash of its definition and inputs. Written beside the template, owner-only, with no
 * secret in it: sensitive values only ever enter a hash. The lease says until when {@code gc} leaves the machine's
 * resources alone.
 *
 * @param expires the end of the lease; after it the record is stale and its resources are fair game for gc
 */
public record ResumeRecord(String template, Instant created, Instant expires, Map<String, Entry> builds) {
    public ResumeRecord {
        builds = Map.copyOf(builds);
    }

    /**
     * One kept build.
     *
     * @param builder   the builder type ({@code ssh})
     * @param host      where the machine answers SSH
     * @param hostKey   the SHA-256 fingerprint of its host key, pinned when resuming
     * @param resources cloud resources the machine lives in (IDs), for gc; empty for {@code builder ssh}
     * @param succeeded the provisioning steps that succeeded, in order, from the first
     * @param failed    the step that failed (its name), or null when every provisioning step succeeded
     * @param details   what the builder needs to adopt what it kept (for {@code builder azure}: subscription,
     *                  resource group, VM name, build id, the path of the kept key copy, ...); never a secret
     */
    public record Entry(String builder, String host, int port, String user, String hostKey, List<String> resources,
                        List<StepHash> succeeded, String failed, Map<String, String> details) {
        public Entry {
            resources = List.copyOf(resources);
            succeeded = List.copyOf(succeeded);
            details = Map.copyOf(details);
        }

        public Entry(String builder, String host, int port, String user, String hostKey, List<String> resources,
                     List<StepHash> succeeded, String failed) {
            this(builder, host, port, user, hostKey, resources, succeeded, failed, Map.of());
        }
    }

    /**
     * What a builder keeps beyond the machine, as noted in the record: the cloud resources a later run adopts (and
     * deletes when it finishes), and the builder's own notes ({@link Entry#details()}).
     */
    public record Held(List<String> resources, Map<String, String> details) {
        public Held {
            resources = List.copyOf(resources);
            details = Map.copyOf(details);
        }
    }

    /** A provisioning step as it ran: its number (from 1), how it is shown, and the hash of what it did. */
    public record StepHash(int number, String name, String hash) {
    }

    /** Where the record of a template lives: {@code .NAME.imagebake.resume.json} beside {@code NAME.imagebake.groovy}. */
    public static Path beside(Path template) {
        String file = template.getFileName().toString();
        String name = file.endsWith(".imagebake.groovy") ? file.substring(0, file.length() - ".imagebake.groovy".length())
                : file;
        return template.toAbsolutePath().resolveSibling("." + name + ".imagebake.resume.json");
    }

    public boolean expired(Instant now) {
        return !now.isBefore(expires);
    }

    public String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", 1);
        root.put("template", template);
        root.put("created", created.toString());
        root.put("expires", expires.toString());
        Map<String, Object> all = new LinkedHashMap<>();
        builds.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Entry b = e.getValue();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("builder", b.builder());
            m.put("host", b.host());
            m.put("port", b.port());
            m.put("user", b.user());
            m.put("hostKey", b.hostKey());
            m.put("resources", b.resources());
            List<Object> steps = new ArrayList<>();
            for (StepHash s : b.succeeded()) {
                Map<String, Object> step = new LinkedHashMap<>();
                step.put("number", s.number());
                step.put("name", s.name());
                step.put("sha256", s.hash());
                steps.add(step);
            }
            m.put("succeeded", steps);
            m.put("failed", b.failed());
            if (!b.details().isEmpty()) {
                m.put("details", new java.util.TreeMap<>(b.details()));
            }
            all.put(e.getKey(), m);
        });
        root.put("builds", all);
        return Json.writePretty(root);
    }

    @SuppressWarnings("unchecked")
    public static ResumeRecord parse(String text) {
        Map<String, Object> root = (Map<String, Object>) Json.parse(text);
        Map<String, Entry> builds = new LinkedHashMap<>();
        for (var e : ((Map<String, Object>) root.get("builds")).entrySet()) {
            Map<String, Object> m = (Map<String, Object>) e.getValue();
            List<StepHash> steps = new ArrayList<>();
            for (Object o : (List<Object>) m.get("succeeded")) {
                Map<String, Object> s = (Map<String, Object>) o;
                steps.add(new StepHash(((Number) s.get("number")).intValue(), (String) s.get("name"),
                        (String) s.get("sha256")));
            }
            builds.put(e.getKey(), new Entry((String) m.get("builder"), (String) m.get("host"),
                    ((Number) m.get("port")).intValue(), (String) m.get("user"), (String) m.get("hostKey"),
                    (List<String>) m.get("resources"), steps, (String) m.get("failed"),
                    m.get("details") == null ? Map.of() : (Map<String, String>) m.get("details")));
        }
        return new ResumeRecord((String) root.get("template"), Instant.parse((String) root.get("created")),
                Instant.parse((String) root.get("expires")), builds);
    }

    /** Reads the record at {@code file}; null when there is none. */
    public static ResumeRecord read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return parse(Files.readString(file));
        } catch (RuntimeException e) {
            throw new IOException(file + " is not a resume record imagebake can read (" + e.getMessage() + ")");
        }
    }

    /**
     * Writes the record owner-only (0600) from the first byte: a temporary file created with those permissions,
     * then moved over the old one.
     */
    public void write(Path file) throws IOException {
        Path temp = Files.createTempFile(file.toAbsolutePath().getParent(), ".resume-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temp, toJson());
            try {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
