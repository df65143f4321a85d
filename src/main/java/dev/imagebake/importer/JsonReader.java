package dev.imagebake.importer;

import dev.imagebake.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Packer JSON template with the project's JSON reader. JSON keeps no positions, so an option's line is
 * found by searching the source text for its quoted key, from where its builder or step starts.
 */
final class JsonReader {
    private final PackerTemplate template;
    private final String file;
    private final String text;

    private JsonReader(PackerTemplate template, String file, String text) {
        this.template = template;
        this.file = file;
        this.text = text;
    }

    static PackerTemplate read(Path path) throws IOException, UnreadableTemplateException {
        String text = Files.readString(path);
        String file = path.getFileName().toString();
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UnreadableTemplateException(file + ":" + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> root)) {
            throw new UnreadableTemplateException(file + ":1:1: a Packer JSON template is one object");
        }
        PackerTemplate template = new PackerTemplate(path.toAbsolutePath().getParent().normalize(), true);
        template.texts.put(file, text);
        new JsonReader(template, file, text).read(root);
        return template;
    }

    private void read(Map<?, ?> root) {
        List<?> sensitive = root.get("sensitive-variables") instanceof List<?> l ? l : List.of();
        int cursor = offset("\"variables\"", 0);
        if (root.get("variables") instanceof Map<?, ?> vars) {
            for (Map.Entry<?, ?> e : vars.entrySet()) {
                String name = String.valueOf(e.getKey());
                int at = offset("\"" + name + "\"", cursor);
                Loc loc = loc(at);
                Val value = e.getValue() == null ? null : value(e.getValue(), loc, name, null);
                template.variables.add(new PackerTemplate.Variable(name, value, null, null, sensitive.contains(name),
                        loc));
            }
        }
        PackerTemplate.Build build = new PackerTemplate.Build(new Loc(file, 1));
        int builders = offset("\"builders\"", 0);
        cursor = builders;
        if (root.get("builders") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m) {
                    int at = offset("\"type\"", cursor);
                    String type = String.valueOf(m.get("type"));
                    // A builder's name is literal in imagebake: {{user `x`}} in it is written as x.
                    String name = m.get("name") == null ? type : String.valueOf(m.get("name"))
                            .replaceAll("\\{\\{\\s*user\\s*`([^`]*)`\\s*}}", "$1").replaceAll("[^A-Za-z0-9._-]", "");
                    Block b = block(List.of("source", type, name), m, at, name);
                    template.sources.add(b);
                    build.sources.add(new Block(List.of("source", type + "." + name), b.at));
                    cursor = at + 1;
                }
            }
        }
        cursor = offset("\"provisioners\"", 0);
        if (root.get("provisioners") instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m) {
                    int at = offset("\"type\"", cursor);
                    build.provisioners.add(block(List.of("provisioner", String.valueOf(m.get("type"))), m, at, null));
                    cursor = at + 1;
                }
            }
        }
        cursor = offset("\"post-processors\"", 0);
        if (root.get("post-processors") instanceof List<?> list) {
            for (Object o : list) {
                for (Object p : o instanceof List<?> chain ? chain : List.of(o)) {
                    int at = offset("\"type\"", cursor);
                    Map<?, ?> m = p instanceof Map<?, ?> pm ? pm : Map.of("type", String.valueOf(p));
                    build.postProcessors.add(block(List.of("post-processor", String.valueOf(m.get("type"))), m, at,
                            null));
                    cursor = at + 1;
                }
            }
        }
        template.builds.add(build);
    }

    private Block block(List<String> labels, Map<?, ?> m, int start, String buildName) {
        Block b = new Block(labels, loc(start));
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (key.equals("type") || (key.equals("name") && labels.get(0).equals("source"))) {
                continue;
            }
            Loc loc = loc(offset("\"" + key + "\"", start));
            b.put(key, value(e.getValue(), loc, key, buildName), loc);
        }
        return b;
    }

    private Val value(Object o, Loc loc, String option, String buildName) {
        if (o instanceof String s) {
            try {
                return GoTemplate.translate(s, buildName);
            } catch (Functions.Unsupported e) {
                template.todos.add(new Todo(option, loc, e.getMessage()));
                return new Val.Lit(s);
            }
        }
        if (o instanceof List<?> l) {
            List<Val> items = new ArrayList<>();
            l.forEach(i -> items.add(value(i, loc, option, buildName)));
            return new Val.Lst(items);
        }
        if (o instanceof Map<?, ?> m) {
            Map<String, Val> entries = new LinkedHashMap<>();
            m.forEach((k, v) -> entries.put(String.valueOf(k), value(v, loc, option, buildName)));
            return new Val.Obj(entries);
        }
        if (o instanceof java.math.BigDecimal d) {
            return new Val.Lit(d.doubleValue());
        }
        return new Val.Lit(o);
    }

    private int offset(String needle, int from) {
        int at = text.indexOf(needle, Math.max(0, from));
        return at < 0 ? Math.max(0, from) : at;
    }

    private Loc loc(int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return new Loc(file, line);
    }
}
