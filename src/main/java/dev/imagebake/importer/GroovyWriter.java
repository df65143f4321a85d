package dev.imagebake.importer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Writes a read Packer template as an imagebake template: variables, locals, builders, steps, post-processors. */
final class GroovyWriter {
    private static final Pattern VAR_REF = Pattern.compile("var\\.([A-Za-z_][A-Za-z0-9_]*)");

    final PackerTemplate t;
    final Path outDir;
    final List<Todo> todos = new ArrayList<>();
    final StringBuilder out = new StringBuilder();
    /** Builder names, per build block, and every one. */
    private final Map<PackerTemplate.Build, List<Built>> builtBy = new LinkedHashMap<>();
    private final List<Built> all = new ArrayList<>();

    /**
     * One builder: a source as a build names it.
     *
     * @param overrides what a refinement ({@code source "azure-arm.base" { name = ..., ... }}) sets over the source,
     *                  {@code name} left out; empty for a plain reference
     */
    record Built(String name, String type, String sourceName, Block source, Map<String, Val> overrides, Loc at) {
    }

    /**
     * Options a refinement may set for its builders to be written as one loop: each maps to a keyword whatever its
     * value (literal or computed), so the loop variable can stand for it.
     */
    private static final Set<String> LOOPABLE = Set.of("image_publisher", "image_offer", "image_sku", "image_version",
            "vm_size", "location", "managed_image_name", "managed_image_resource_group_name", "temp_compute_name",
            "build_resource_group_name", "ssh_username");

    /** Extra indentation of everything written, for a builder inside a loop. */
    private int nesting;

    GroovyWriter(PackerTemplate t, Path outDir) {
        this.t = t;
        this.outDir = outDir;
    }

    String write(String inputName) {
        line(0, "// Imported from the Packer template " + inputName + " by `imagebake import`.");
        line(0, "// Relative paths are rebased to this file's folder; see the to-do list at the end, if any.");
        resolveBuilders();
        variables();
        int afterVariables = out.length();
        locals();
        for (List<Built> group : groups()) {
            if (group.size() == 1) {
                new AzureOptions(this, group.get(0)).write();
            } else {
                loop(group);
            }
        }
        new Steps(this, all, builtBy).write();
        out.insert(afterVariables, undeclared(out.substring(afterVariables)));
        return out.toString();
    }

    private void resolveBuilders() {
        Set<String> names = new HashSet<>();
        for (PackerTemplate.Build build : t.builds) {
            List<Built> built = new ArrayList<>();
            for (Block ref : build.sources) {
                String[] parts = ref.label(1).replaceFirst("^sources?\\.", "").split("\\.", 2);
                if (parts.length < 2) {
                    todos.add(new Todo("sources", ref.at, "'" + ref.label(1) + "' names no source TYPE.NAME"));
                    continue;
                }
                Block source = t.sources.stream().filter(s -> parts[0].equals(s.label(1)) && parts[1].equals(s.label(2)))
                        .findFirst().orElse(null);
                if (!parts[0].equals("azure-arm")) {
                    line(0, "// source " + parts[0] + "." + parts[1] + " (" + ref.at + ") is not azure-arm: not imported.");
                    continue;
                }
                if (source == null) {
                    todos.add(new Todo("sources", ref.at, "no source azure-arm." + parts[1] + " is defined"));
                    continue;
                }
                Block merged = source;
                String name = parts[1];
                Map<String, Val> overrides = new LinkedHashMap<>(ref.attrs);
                overrides.remove("name");
                ref.blocks.forEach(nested -> overrides.put(nested.type() + " block", new Val.Lit(null)));
                if (!ref.attrs.isEmpty()) {
                    merged = new Block(source.labels, source.at);
                    merged.attrs.putAll(source.attrs);
                    merged.locs.putAll(source.locs);
                    merged.blocks.addAll(source.blocks);
                    for (Map.Entry<String, Val> e : ref.attrs.entrySet()) {
                        if (e.getKey().equals("name")) {
                            name = e.getValue().text() == null ? name : e.getValue().text();
                        } else {
                            merged.put(e.getKey(), e.getValue(), ref.loc(e.getKey()));
                        }
                    }
                    merged.blocks.addAll(ref.blocks);
                }
                String unique = name;
                for (int i = 2; !names.add(unique); i++) {
                    unique = name + "-" + i;
                }
                Built b = new Built(unique, parts[0], parts[1], merged, overrides, ref.at);
                built.add(b);
                all.add(b);
            }
            builtBy.put(build, built);
        }
    }

    /**
     * The builders in the order written, those that can share one loop together: two or more refinements, in one
     * build, of the same source, setting the same loopable options (Packer's way of building one source several ways).
     */
    private List<List<Built>> groups() {
        Map<String, List<Built>> groups = new LinkedHashMap<>();
        for (Map.Entry<PackerTemplate.Build, List<Built>> e : builtBy.entrySet()) {
            for (Built b : e.getValue()) {
                boolean loopable = !b.overrides().isEmpty() && LOOPABLE.containsAll(b.overrides().keySet());
                String key = loopable ? System.identityHashCode(e.getKey()) + "/" + b.sourceName() + "/"
                        + b.overrides().keySet() : "single/" + b.name();
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(b);
            }
        }
        List<List<Built>> out = new ArrayList<>();
        for (List<Built> group : groups.values()) {
            if (group.size() == 1 || group.stream().map(Built::name).distinct().count() < group.size()) {
                group.forEach(b -> out.add(List.of(b)));
            } else {
                out.add(group);
            }
        }
        return out;
    }

    /**
     * Refinements of one source as a list of their values and one builder written inside a loop over it: what
     * differs between the builders reads {@code s.OPTION}.
     */
    private void loop(List<Built> group) {
        Built first = group.get(0);
        String list = "sources_" + first.sourceName().replaceAll("[^A-Za-z0-9_]", "_");
        line(0, "");
        line(0, "// One builder per refinement of source azure-arm." + first.sourceName() + " (" + first.at() + " and "
                + (group.size() - 1) + " more): what they set differently is in " + list + ".");
        line(0, "def " + list + " = [");
        for (Built b : group) {
            StringBuilder entry = new StringBuilder("[name: " + Val.quote(b.name()));
            b.overrides().forEach((k, v) -> entry.append(", ").append(Val.key(k)).append(": ").append(v.groovy()));
            line(1, entry.append("],").toString());
        }
        line(0, "]");
        line(0, "for (s in " + list + ") {");
        Block shared = new Block(first.source().labels, first.source().at);
        shared.attrs.putAll(first.source().attrs);
        shared.locs.putAll(first.source().locs);
        shared.blocks.addAll(first.source().blocks);
        first.overrides().keySet().forEach(k -> shared.attrs.put(k, new Val.Expr("s." + k)));
        int body = out.length();
        nesting++;
        new AzureOptions(this, new Built(first.name(), first.type(), first.sourceName(), shared, Map.of(), first.at()))
                .write("s.name");
        nesting--;
        if (out.charAt(body) == '\n') {
            out.deleteCharAt(body); // the blank line a builder starts with, not wanted right after `for`
        }
        line(0, "}");
    }

    /** Variables whose values are secrets by where the template uses them (as client_secret, client_jwt...). */
    private final Set<String> sensitive = new HashSet<>();

    private void variables() {
        for (Block s : t.sources) {
            for (String secret : List.of("client_secret", "client_jwt", "client_cert_token_timeout", "password")) {
                Val v = s.attrs.get(secret);
                if (v != null) {
                    Matcher m = VAR_REF.matcher(v.groovy());
                    while (m.find()) {
                        sensitive.add(m.group(1));
                    }
                }
            }
        }
        if (!t.variables.isEmpty()) {
            line(0, "");
        }
        Set<String> seen = new HashSet<>();
        for (PackerTemplate.Variable v : t.variables) {
            if (!seen.add(v.name())) {
                continue;
            }
            StringBuilder s = new StringBuilder("variable " + Val.quote(v.name()));
            if (v.type() != null && !(v.type().equals("string") && v.value() != null && v.value().text() != null)) {
                s.append(", type: ").append(Val.quote(v.type()));
            }
            if (v.value() != null) {
                s.append(", default: ").append(v.value().groovy());
            }
            if (v.description() != null && !v.description().isBlank()) {
                s.append(", description: ").append(Val.quote(v.description()));
            }
            if (v.sensitive() || sensitive.contains(v.name())) {
                s.append(", sensitive: true");
            }
            line(0, s.toString());
        }
    }

    /**
     * Variables the template reads but never declares (files of a folder that were not all given, or a JSON
     * template's {@code {{user `x`}}} of a variable it lacks): declared as required, each with a to-do.
     */
    private String undeclared(String code) {
        Set<String> declared = new HashSet<>();
        t.variables.forEach(v -> declared.add(v.name()));
        Set<String> missing = new java.util.TreeSet<>();
        Matcher m = VAR_REF.matcher(code);
        while (m.find()) {
            if (!declared.contains(m.group(1))) {
                missing.add(m.group(1));
            }
        }
        StringBuilder lines = new StringBuilder();
        for (String name : missing) {
            t.variables.add(new PackerTemplate.Variable(name, null, null, null, false, null));
            Todo todo = new Todo("var." + name, firstUse(name), "read but "
                    + "never declared in the Packer template: declared here as required; give it a default or a value");
            todos.add(todo);
            lines.append(todo.comment()).append('\n').append("variable ").append(Val.quote(name))
                    .append(sensitive.contains(name) ? ", sensitive: true" : "").append('\n');
        }
        return lines.toString();
    }

    /** Where the Packer source first reads a variable, found by searching its text. */
    private Loc firstUse(String name) {
        Pattern use = Pattern.compile(t.json ? "user\\s*`" + Pattern.quote(name) + "\\s*`"
                : "var\\." + Pattern.quote(name) + "\\b");
        for (Map.Entry<String, String> e : t.texts.entrySet()) {
            Matcher m = use.matcher(e.getValue());
            if (m.find()) {
                return new Loc(e.getKey(), (int) e.getValue().substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1);
            }
        }
        return new Loc(t.texts.keySet().stream().findFirst().orElse("?"), 1);
    }

    private void locals() {
        if (t.locals.isEmpty()) {
            return;
        }
        line(0, "");
        // HCL locals may refer to one another in any order; Groovy needs each defined before use.
        List<PackerTemplate.Local> pending = new ArrayList<>(t.locals);
        Set<String> defined = new HashSet<>();
        Set<String> names = new HashSet<>();
        t.locals.forEach(l -> names.add(HclReader.localName(l.name())));
        while (!pending.isEmpty()) {
            PackerTemplate.Local next = pending.stream().filter(l -> names.stream()
                    .filter(n -> !defined.contains(n) && !n.equals(HclReader.localName(l.name())))
                    .noneMatch(n -> refers(l.value().groovy(), n))).findFirst().orElse(pending.get(0));
            pending.remove(next);
            String name = HclReader.localName(next.name());
            if (defined.add(name)) {
                line(0, "def " + name + " = " + next.value().groovy());
            }
        }
    }

    private static boolean refers(String code, String name) {
        return Pattern.compile("(?<![.\\w])" + Pattern.quote(name) + "(?!\\w)").matcher(code).find();
    }

    /** Adds a to-do at its place (as a comment at this indentation) and to the list. */
    void todo(int indent, String option, Loc at, String why) {
        Todo todo = new Todo(option, at, why);
        todos.add(todo);
        line(indent, todo.comment());
    }

    /** {@code keyword args}; in parentheses when the arguments start with one, which Groovy would take as the call's. */
    void call(int indent, String keyword, String args) {
        line(indent, args.startsWith("(") ? keyword + "(" + args + ")" : keyword + " " + args);
    }

    void line(int indent, String text) {
        out.append(text.isEmpty() ? "" : "    ".repeat(indent + nesting)).append(text).append('\n');
    }

    /**
     * A path of the template, rebased from Packer's folder to the output's; a to-do when it leaves the output's
     * folder. Values that are not literal text are kept as they are.
     */
    Val path(Val v, String option, Loc at, int indent) {
        String text = v.text();
        if (text == null || text.startsWith("/") || text.startsWith("~")) {
            return v;
        }
        Path abs = t.folder.resolve(text).normalize();
        String rel = outDir.relativize(abs).toString().replace('\\', '/');
        if (rel.isEmpty()) {
            rel = ".";
        }
        if (rel.startsWith("..")) {
            // The smallest folder holding both: --root widens what the template may read to it.
            Path common = outDir;
            while (common != null && !abs.startsWith(common)) {
                common = common.getParent();
            }
            String root = common == null ? "/" : outDir.relativize(common).toString().replace('\\', '/');
            todo(indent, option, at, "'" + text + "' is outside the output's folder: build (and validate) with --root "
                    + root + " (imagebake reads only below the template's folder or --root), or copy it below "
                    + outDir.getFileName());
        }
        return new Val.Lit(rel);
    }

    /** The names the step list of a step refers to, as imagebake builder names. */
    Set<String> builderNames(Val list) {
        Set<String> names = new LinkedHashSet<>();
        if (list instanceof Val.Lst l) {
            for (Val item : l.items()) {
                String ref = item.text() == null ? "" : item.text().replaceFirst("^sources?\\.", "");
                for (Built b : all) {
                    if (ref.equals(b.name()) || ref.equals(b.type()) || ref.equals(b.type() + "." + b.sourceName())
                            || ref.equals(b.type() + "." + b.name()) || ref.endsWith("." + b.type() + "." + b.name())) {
                        names.add(b.name());
                    }
                }
            }
        }
        return names;
    }
}
