package dev.imagebake.emulator.vm;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subset of cloud-init's cloud-config the emulator honours: {@code users} (with {@code ssh_authorized_keys},
 * {@code sudo}, {@code groups}, {@code shell}), {@code ssh_keys} (pre-generated host keys), {@code write_files}
 * and {@code runcmd}. Anything else is ignored, as are documents that are not cloud-config (scripts run by
 * cloud-init are not supported).
 */
record CloudConfig(List<User> users, boolean keepDefaultUser, Map<String, String> hostKeys, List<WriteFile> files,
                   List<Object> runcmd) {

    /** A user of the {@code users} list. */
    record User(String name, List<String> authorizedKeys, List<String> sudo, String groups, String shell) {
    }

    /** An entry of {@code write_files}. */
    record WriteFile(String path, byte[] content, String permissions, String owner, boolean append) {
    }

    static final CloudConfig EMPTY = new CloudConfig(List.of(), true, Map.of(), List.of(), List.of());

    private static final java.util.regex.Pattern BOUNDARY = java.util.regex.Pattern.compile(
            "(?im)^Content-Type:\\s*multipart/[a-z-]+;.*?boundary=\"?([^\"\\r\\n;]+)\"?");

    /**
     * A cloud-config, or a MIME multipart message (as cloud-init takes it) whose {@code text/cloud-config} parts are
     * merged in order: a later part's top-level keys replace an earlier one's, as cloud-init's default merge does.
     * Other parts (scripts, boothooks) are ignored.
     */
    static CloudConfig parse(String text) throws VmRuntimeException {
        if (text == null) {
            return EMPTY;
        }
        java.util.regex.Matcher multipart = BOUNDARY.matcher(text.substring(0, headerEnd(text)));
        if (multipart.find()) {
            Map<Object, Object> merged = new LinkedHashMap<>();
            String delimiter = "--" + multipart.group(1).trim();
            String[] parts = text.split("(?m)^" + java.util.regex.Pattern.quote(delimiter));
            for (int i = 1; i < parts.length; i++) {
                String part = parts[i];
                if (part.startsWith("--")) {
                    break; // the closing delimiter
                }
                int body = headerEnd(part);
                String headers = part.substring(0, body).toLowerCase(java.util.Locale.ROOT);
                String content = part.substring(body).stripLeading();
                if (headers.contains("text/cloud-config") || content.startsWith("#cloud-config")) {
                    if (load(content) instanceof Map<?, ?> map) {
                        map.forEach(merged::put);
                    }
                }
            }
            return merged.isEmpty() ? EMPTY : of(merged);
        }
        if (!text.stripLeading().startsWith("#cloud-config")) {
            return EMPTY;
        }
        return load(text) instanceof Map<?, ?> root ? of(root) : EMPTY;
    }

    /** Where a MIME entity's headers end (after the first empty line), or 0 when it has none. */
    private static int headerEnd(String entity) {
        java.util.regex.Matcher blank = java.util.regex.Pattern.compile("\\r?\\n\\r?\\n").matcher(entity);
        return blank.find() ? blank.end() : 0;
    }

    private static Object load(String yaml) throws VmRuntimeException {
        try {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
        } catch (RuntimeException e) {
            throw new VmRuntimeException("the cloud-config in customData is not valid YAML: " + e.getMessage(), e);
        }
    }

    private static CloudConfig of(Map<?, ?> root) {
        List<User> users = new ArrayList<>();
        boolean keepDefault = !(root.get("users") instanceof List<?>);
        if (root.get("users") instanceof List<?> list) {
            for (Object entry : list) {
                if ("default".equals(entry)) {
                    keepDefault = true;
                } else if (entry instanceof Map<?, ?> user && user.get("name") != null) {
                    users.add(new User(String.valueOf(user.get("name")), strings(user.get("ssh_authorized_keys")),
                            strings(user.get("sudo")), user.get("groups") instanceof List<?> g
                            ? String.join(",", strings(g)) : text(user.get("groups")),
                            text(user.get("shell"))));
                }
            }
        }
        Map<String, String> hostKeys = new LinkedHashMap<>();
        if (root.get("ssh_keys") instanceof Map<?, ?> keys) {
            keys.forEach((name, value) -> hostKeys.put(String.valueOf(name), String.valueOf(value)));
        }
        List<WriteFile> files = new ArrayList<>();
        if (root.get("write_files") instanceof List<?> list) {
            for (Object entry : list) {
                if (entry instanceof Map<?, ?> file && file.get("path") != null) {
                    String encoding = String.valueOf(file.get("encoding"));
                    String content = file.get("content") == null ? "" : String.valueOf(file.get("content"));
                    byte[] bytes = encoding.equals("b64") || encoding.equals("base64")
                            ? java.util.Base64.getMimeDecoder().decode(content)
                            : content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    // An unquoted 0644 is a YAML 1.1 octal number.
                    String mode = file.get("permissions") instanceof Number n ? "0" + Integer.toOctalString(n.intValue())
                            : text(file.get("permissions"));
                    files.add(new WriteFile(String.valueOf(file.get("path")), bytes, mode,
                            text(file.get("owner")), Boolean.TRUE.equals(file.get("append"))));
                }
            }
        }
        List<Object> runcmd = root.get("runcmd") instanceof List<?> list ? new ArrayList<>(list) : List.of();
        return new CloudConfig(users, keepDefault, hostKeys, files, runcmd);
    }

    private static List<String> strings(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        if (value == null || Boolean.FALSE.equals(value)) {
            return List.of();
        }
        return List.of(String.valueOf(value));
    }

    private static String text(Object value) {
        return value == null ? null : String.valueOf(value);
    }
}
