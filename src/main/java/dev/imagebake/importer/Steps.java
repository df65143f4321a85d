package dev.imagebake.importer;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Provisioners, the error-cleanup provisioner and post-processors, in order, as imagebake steps. */
final class Steps {
    /** Lines a final deprovision step is made of. */
    private static final Pattern DEPROVISION_LINE = Pattern.compile(
            "(sudo\\s+)?(/usr/sbin/)?waagent\\s+(-force\\s+)?-deprovision(\\+user)?(\\s+-force)?"
                    + "(\\s*&&\\s*export\\s+HISTSIZE=0)?(\\s*&&\\s*sync)?(\\s*\\|\\|\\s*exit\\s+\\d+)?\\s*;?"
                    + "|export HISTSIZE=0|sync|"
                    + "(sudo\\s+)?rm\\s+-rf?\\s+/tmp/\\*");
    private static final Set<String> COMMON = Set.of("only", "except", "pause_before", "max_retries", "timeout");

    private final GroovyWriter w;
    private final List<GroovyWriter.Built> all;
    private final Map<PackerTemplate.Build, List<GroovyWriter.Built>> builtBy;

    Steps(GroovyWriter w, List<GroovyWriter.Built> all, Map<PackerTemplate.Build, List<GroovyWriter.Built>> builtBy) {
        this.w = w;
        this.all = all;
        this.builtBy = builtBy;
    }

    void write() {
        List<Runnable> onError = new ArrayList<>();
        List<Runnable> posts = new ArrayList<>();
        for (Map.Entry<PackerTemplate.Build, List<GroovyWriter.Built>> e : builtBy.entrySet()) {
            PackerTemplate.Build build = e.getKey();
            Set<String> mine = new LinkedHashSet<>();
            e.getValue().forEach(b -> mine.add(b.name()));
            if (mine.isEmpty()) {
                continue;
            }
            List<Block> steps = new ArrayList<>(build.provisioners);
            Block last = steps.isEmpty() ? null : steps.get(steps.size() - 1);
            for (Block step : steps) {
                int kept = step == last ? linesBeforeDeprovision(step) : -1;
                if (kept == 0) {
                    w.line(0, "");
                    w.line(0, "// The final `waagent -deprovision+user` step (" + step.at + ") is dropped: imagebake's "
                            + "azure builder deprovisions last by itself (deprovision true).");
                    continue;
                }
                if (kept > 0) {
                    // The step's own commands stay; deprovisioning twice would fail (the user is gone after the first).
                    Block trimmed = new Block(step.labels, step.at);
                    trimmed.attrs.putAll(step.attrs);
                    trimmed.locs.putAll(step.locs);
                    trimmed.blocks.addAll(step.blocks);
                    trimmed.attrs.put("inline", new Val.Lst(((Val.Lst) step.attrs.get("inline")).items().subList(0, kept)));
                    w.line(0, "");
                    w.line(0, "// The final `waagent -deprovision+user` line of this step (" + step.at + ") is dropped: "
                            + "imagebake's azure builder deprovisions last by itself (deprovision true).");
                    step(trimmed, mine, 0, "provision");
                    continue;
                }
                step(step, mine, 0, "provision");
            }
            for (Block step : build.errorCleanup) {
                onError.add(() -> step(step, mine, 1, "provision"));
            }
            for (Block post : build.postProcessors) {
                posts.add(() -> post(post, mine));
            }
        }
        if (!onError.isEmpty()) {
            w.line(0, "");
            w.line(0, "onError {");
            onError.forEach(Runnable::run);
            w.line(0, "}");
        }
        posts.forEach(Runnable::run);
    }

    /**
     * For a shell step whose inline commands end in a {@code waagent -deprovision+user} (with its usual companions:
     * {@code export HISTSIZE=0}, {@code sync}, {@code || exit 125}), how many commands come before that ending (0: the
     * whole step deprovisions); -1 when the step does not end so.
     */
    private static int linesBeforeDeprovision(Block step) {
        if (!step.label(1).equals("shell") || !(step.attrs.get("inline") instanceof Val.Lst inline)) {
            return -1;
        }
        List<Val> lines = inline.items();
        int start = lines.size();
        boolean waagent = false;
        while (start > 0) {
            String text = lines.get(start - 1).text();
            if (text == null || !DEPROVISION_LINE.matcher(text.trim()).matches()) {
                break;
            }
            waagent |= text.contains("waagent");
            start--;
        }
        return waagent ? start : -1;
    }

    private void step(Block step, Set<String> build, int indent, String keyword) {
        String type = step.label(1);
        Set<String> targets = new LinkedHashSet<>(build);
        if (step.attrs.containsKey("only")) {
            targets.retainAll(w.builderNames(step.attrs.get("only")));
        }
        if (step.attrs.containsKey("except")) {
            targets.removeAll(w.builderNames(step.attrs.get("except")));
        }
        if (indent == 0) {
            w.line(0, "");
        }
        if (targets.isEmpty()) {
            w.line(indent, "// provisioner " + type + " (" + step.at + ") runs on no azure-arm source: not imported.");
            return;
        }
        String imagebakeType = switch (type) {
            case "shell" -> "shell";
            case "file" -> "file";
            case "shell-local" -> "shellLocal";
            case "ansible" -> "ansible";
            case "puppet-masterless" -> "puppet";
            case "breakpoint" -> "breakpoint";
            default -> TOOLS.containsKey(type) ? TOOLS.get(type).keyword() : null;
        };
        if (imagebakeType == null) {
            w.todo(indent, "provisioner " + type, step.at, type.equals("windows-restart") || type.equals("powershell")
                    ? "Windows steps are not supported by imagebake yet" : "imagebake has no " + type + " step");
            return;
        }
        if (type.equals("file") && step.attrs.get("sources") instanceof Val.Lst sources) {
            for (Val source : sources.items()) {
                Block one = new Block(step.labels, step.at);
                one.attrs.putAll(step.attrs);
                one.locs.putAll(step.locs);
                one.attrs.remove("sources");
                one.put("source", source, step.loc("sources"));
                step(one, build, indent, keyword);
            }
            return;
        }
        w.line(indent, keyword + " " + imagebakeType + " {");
        int in = indent + 1;
        if (!targets.equals(new LinkedHashSet<>(all.stream().map(GroovyWriter.Built::name).toList()))) {
            w.line(in, "only " + String.join(", ", targets.stream().map(Val::quote).toList()));
        }
        common(step, in);
        Set<String> done = new LinkedHashSet<>(COMMON);
        done.add("name");
        switch (type) {
            case "shell" -> shell(step, in, done);
            case "file" -> file(step, in, done);
            case "shell-local" -> shellLocal(step, in, done);
            case "ansible" -> ansible(step, in, done);
            case "puppet-masterless" -> puppet(step, in, done);
            case "breakpoint" -> {
                option(step, "note", "note", in, done);
                option(step, "disable", "disabled", in, done);
            }
            default -> {
                if (TOOLS.containsKey(type)) {
                    tool(step, TOOLS.get(type), in, done);
                }
            }
        }
        for (String key : step.attrs.keySet()) {
            if (!done.contains(key)) {
                w.todo(in, key, step.loc(key), "the " + type + " provisioner's " + key + " has no imagebake equivalent");
            }
        }
        w.line(indent, "}");
    }

    private void common(Block step, int in) {
        option(step, "pause_before", "pauseBefore", in, new java.util.HashSet<>());
        option(step, "max_retries", "retries", in, new java.util.HashSet<>());
        option(step, "timeout", "timeout", in, new java.util.HashSet<>());
    }

    private void shell(Block step, int in, Set<String> done) {
        option(step, "inline", "inline", in, done);
        bashShebang(step, in);
        // Packer's ssh_pty is the communicator's, for every step; imagebake sets it per shell step.
        if (w.t.sources.stream().anyMatch(s -> s.attrs.get("ssh_pty") != null
                && "true".equals(s.attrs.get("ssh_pty").text()))) {
            w.line(in, "pty true   // ssh_pty");
        }
        path(step, "script", "script", in, done);
        path(step, "scripts", "scripts", in, done);
        env(step, "environment_vars", in, done);
        option(step, "env", "env", in, done);
        executeCommand(step, in, done);
        option(step, "expect_disconnect", "expectDisconnect", in, done);
        option(step, "start_retry_timeout", "startRetryTimeout", in, done);
        option(step, "valid_exit_codes", "validExitCodes", in, done);
        option(step, "inline_shebang", "inlineShebang", in, done);
        option(step, "skip_clean", "skipClean", in, done);
        option(step, "remote_folder", "remoteFolder", in, done);
        option(step, "remote_file", "remoteFile", in, done);
        option(step, "remote_path", "remotePath", in, done);
        option(step, "env_var_format", "envVarFormat", in, done);
        option(step, "use_env_var_file", "useEnvVarFile", in, done);
        option(step, "binary", "binary", in, done);
    }

    /**
     * Inline commands in bash syntax with no inline_shebang: Packer runs them with /bin/sh -e, which is bash on some
     * systems (RHEL) and dash on others (Debian, Ubuntu: there they fail). imagebake refuses them under sh, so the
     * import runs them with bash, saying why: what worked keeps working, and what failed on dash now works.
     */
    private void bashShebang(Block step, int in) {
        if (step.attrs.containsKey("inline_shebang") || !(step.attrs.get("inline") instanceof Val.Lst inline)) {
            return;
        }
        List<String> lines = new ArrayList<>();
        for (Val item : inline.items()) {
            if (item.text() == null) {
                return; // computed: what it holds is not known here
            }
            lines.addAll(List.of(item.text().split("\n", -1)));
        }
        String first = lines.isEmpty() ? "" : lines.get(0).strip();
        String why;
        if (first.startsWith("#!") && !dev.imagebake.dsl.ShellDialect.posixSh(first.substring(2))) {
            why = "the first inline command is '" + first + "', which Packer's inline script keeps as a comment";
        } else {
            List<dev.imagebake.dsl.ShellDialect.Finding> found = dev.imagebake.dsl.ShellDialect.bashOnly(lines);
            if (found.isEmpty()) {
                return;
            }
            why = "the inline commands use bash syntax (" + found.get(0).what().replace("`", "") + ")";
        }
        w.line(in, "// inline_shebang (" + step.loc("inline") + "): " + why + "; Packer's default /bin/sh -e "
                + "fails on it where sh is dash (Debian, Ubuntu), so they run with bash");
        w.call(in, "inlineShebang", "'/bin/bash -e'");
    }

    private void file(Block step, int in, Set<String> done) {
        boolean download = "download".equals(text(step, "direction"));
        if (download) {
            option(step, "source", "source", in, done);
            path(step, "destination", "destination", in, done);
        } else {
            path(step, "source", "source", in, done);
            option(step, "destination", "destination", in, done);
        }
        option(step, "content", "content", in, done);
        option(step, "direction", "direction", in, done);
    }

    private void shellLocal(Block step, int in, Set<String> done) {
        option(step, "inline", "inline", in, done);
        path(step, "script", "script", in, done);
        if (step.attrs.get("scripts") instanceof Val.Lst scripts && scripts.items().size() == 1) {
            Block one = new Block(step.labels, step.at);
            one.put("script", scripts.items().get(0), step.loc("scripts"));
            path(one, "script", "script", in, done);
            done.add("scripts");
        }
        env(step, "environment_vars", in, done);
        option(step, "env", "env", in, done);
        option(step, "valid_exit_codes", "validExitCodes", in, done);
    }

    private void ansible(Block step, int in, Set<String> done) {
        path(step, "playbook_file", "playbook", in, done);
        option(step, "extra_arguments", "extraArguments", in, done);
        option(step, "groups", "groups", in, done);
        option(step, "user", "user", in, done);
    }

    /**
     * A configuration-management provisioner whose imagebake step takes Packer's options in camelCase.
     *
     * @param keyword the imagebake step
     * @param block   the step's DSL block, whose keywords say which options carry over
     * @param renames Packer options whose imagebake keyword is not their camelCase form
     * @param paths   options that name files or folders on this host (rebased to the output's folder)
     */
    record Tool(String keyword, Class<?> block, Map<String, String> renames, Set<String> paths) {
    }

    /** The configuration-management provisioners besides puppet-masterless, by Packer type. */
    static final Map<String, Tool> TOOLS = Map.of(
            "puppet-server", new Tool("puppetServer", dev.imagebake.dsl.PuppetServerContext.class,
                    Map.of("staging_dir", "stagingDirectory", "options", "extraArguments", "facter", "facts"),
                    Set.of("client_cert_path", "client_private_key_path")),
            "chef-solo", new Tool("chef", dev.imagebake.dsl.ChefContext.class, Map.of(),
                    Set.of("cookbook_paths", "roles_path", "data_bags_path", "environments_path",
                            "encrypted_data_bag_secret_path", "config_template")),
            "chef-client", new Tool("chefClient", dev.imagebake.dsl.ChefClientContext.class, Map.of(),
                    Set.of("validation_key_path", "encrypted_data_bag_secret_path", "config_template")),
            "salt-masterless", new Tool("salt", dev.imagebake.dsl.SaltContext.class,
                    Map.of("disable_sudo", "preventSudo"),
                    Set.of("local_state_tree", "local_pillar_roots", "minion_config", "grains_file")),
            "ansible-local", new Tool("ansibleLocal", dev.imagebake.dsl.AnsibleLocalContext.class,
                    Map.of("playbook_file", "playbook"),
                    Set.of("playbook_file", "playbook_files", "playbook_dir", "playbook_paths", "role_paths",
                            "group_vars", "host_vars", "galaxy_file", "inventory_file")),
            "goss", new Tool("goss", dev.imagebake.dsl.GossContext.class, Map.of(), Set.of("tests", "vars_file")));

    private void tool(Block step, Tool tool, int in, Set<String> done) {
        Set<String> keywords = dev.imagebake.dsl.Keywords.of(tool.block());
        for (String option : List.copyOf(step.attrs.keySet())) {
            if (done.contains(option)) {
                continue;
            }
            String keyword = tool.renames().getOrDefault(option, camelCase(option));
            if (!keywords.contains(keyword)) {
                continue; // left for the to-do list below
            }
            if (tool.paths().contains(option)) {
                path(step, option, keyword, in, done);
            } else {
                option(step, option, keyword, in, done);
            }
        }
    }

    /** {@code cookbook_paths} as {@code cookbookPaths}. */
    static String camelCase(String option) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : option.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private void puppet(Block step, int in, Set<String> done) {
        path(step, "manifest_file", "manifest", in, done);
        path(step, "manifest_dir", "manifestDir", in, done);
        if (step.attrs.get("module_paths") instanceof Val.Lst paths) {
            List<String> rebased = new ArrayList<>();
            paths.items().forEach(p -> rebased.add(w.path(p, "module_paths", step.loc("module_paths"), in).groovy()));
            w.line(in, "modulePaths " + String.join(", ", rebased));
            done.add("module_paths");
        }
        path(step, "hiera_config_path", "hieraConfig", in, done);
        option(step, "facter", "facts", in, done);
        option(step, "extra_arguments", "extraArguments", in, done);
        option(step, "puppet_bin_dir", "puppetBinDir", in, done);
        option(step, "working_directory", "workingDirectory", in, done);
        option(step, "staging_directory", "stagingDirectory", in, done);
        option(step, "clean_staging_directory", "cleanStagingDirectory", in, done);
        option(step, "prevent_sudo", "preventSudo", in, done);
        option(step, "execute_command", "executeCommand", in, done);
        option(step, "ignore_exit_codes", "ignoreExitCodes", in, done);
        option(step, "guest_os_type", "guestOsType", in, done);
    }

    /**
     * Packer's {@code execute_command}: a form that only runs the script with sudo becomes {@code sudo true}; Packer's
     * default is dropped; anything else is kept with its placeholders.
     */
    private void executeCommand(Block step, int in, Set<String> done) {
        Val v = step.attrs.get("execute_command");
        if (v == null) {
            return;
        }
        done.add("execute_command");
        String text = v.text();
        for (PackerTemplate.Local local : w.t.locals) {
            if (text == null && v.groovy().equals(HclReader.localName(local.name()))) {
                text = local.value().text();
            }
        }
        if (text != null) {
            String normal = text.replaceAll("\\{\\{\\s*\\.(\\w+)\\s*}}", "{{.$1}}");
            String rest = normal.replace("chmod +x {{.Path}};", " ").replace("chmod +x '{{.Path}}';", " ")
                    .replaceAll("echo '[^']*'\\s*\\|", " ").replace("{{.Vars}}", " ").replace("{{.Path}}", " ")
                    .replaceAll("[\"']", " ").replaceAll("[/\\w]*/(sh|bash)\\b", " ").replaceAll("\\b(sudo|env|sh|bash|/bin/sh|/bin/bash|-c|-e|-x|-E|-S|-H|-n)\\b", " ")
                    .replaceAll("(^|(?<=\\s))-[ESHnexc]+(?=\\s|$)", " ").trim();
            boolean sudo = normal.contains("sudo") && normal.contains("{{.Path}}");
            if (dev.imagebake.dsl.ShellDialect.runsWithBash(normal)) {
                // Not `sudo true`: run directly, a script would go by its #! line, and a line such as
                // `#!/bin/bash -euxo pipefail` (arvados' base.sh) only works when bash is named as here.
                w.line(in, "executeCommand " + Val.quote(normal) + "   // bash runs the script, whatever its #! says");
                return;
            }
            if (sudo && rest.isEmpty()) {
                w.line(in, "sudo true   // execute_command: " + text);
                return;
            }
            if (rest.isEmpty() && normal.contains("{{.Path}}")) {
                w.line(in, "// execute_command '" + text + "' is what imagebake does by default.");
                return;
            }
            w.line(in, "executeCommand " + Val.quote(normal));
            return;
        }
        w.line(in, "executeCommand " + v.groovy());
    }

    /** Packer's {@code ["NAME=value", ...]} as {@code env NAME: 'value'}. */
    private void env(Block step, String option, int in, Set<String> done) {
        Val v = step.attrs.get(option);
        if (v == null) {
            return;
        }
        done.add(option);
        if (!(v instanceof Val.Lst list)) {
            w.todo(in, option, step.loc(option), "a computed list of variables: write env NAME: value");
            return;
        }
        List<String> pairs = new ArrayList<>();
        for (Val item : list.items()) {
            List<Object> parts = item instanceof Val.Str s ? s.parts() : List.of(item.text() == null ? item : item.text());
            if (!(parts.get(0) instanceof String first) || !first.contains("=")) {
                w.todo(in, option, step.loc(option), "'" + item.groovy() + "' is not NAME=value");
                continue;
            }
            List<Object> value = new ArrayList<>(parts);
            value.set(0, first.substring(first.indexOf('=') + 1));
            pairs.add(Val.key(first.substring(0, first.indexOf('='))) + ": " + Val.concat(value).groovy());
        }
        if (!pairs.isEmpty()) {
            w.line(in, "env " + String.join(", ", pairs));
        }
    }

    private void post(Block post, Set<String> build) {
        w.line(0, "");
        String type = post.label(1);
        if (!type.equals("manifest")) {
            w.todo(0, "post-processor " + type, post.at, "imagebake has no " + type + " post-processor");
            return;
        }
        w.line(0, "post manifest {");
        Set<String> done = new LinkedHashSet<>(Set.of("only", "except", "name"));
        option(post, "output", "output", 1, done);
        option(post, "strip_path", "stripPath", 1, done);
        option(post, "custom_data", "customData", 1, done);
        for (String key : post.attrs.keySet()) {
            if (!done.contains(key)) {
                w.todo(1, key, post.loc(key), "the manifest post-processor's " + key + " has no imagebake equivalent");
            }
        }
        w.line(0, "}");
    }

    private void option(Block step, String option, String keyword, int in, Set<String> done) {
        Val v = step.attrs.get(option);
        done.add(option);
        if (v == null || v instanceof Val.Lit l && l.value() == null) {
            return;
        }
        w.call(in, keyword, args(v));
    }

    private void path(Block step, String option, String keyword, int in, Set<String> done) {
        Val v = step.attrs.get(option);
        done.add(option);
        if (v == null) {
            return;
        }
        if (v instanceof Val.Lst list) {
            List<String> rebased = new ArrayList<>();
            list.items().forEach(p -> rebased.add(w.path(p, option, step.loc(option), in).groovy()));
            w.line(in, keyword + " " + String.join(", ", rebased));
        } else {
            w.line(in, keyword + " " + w.path(v, option, step.loc(option), in).groovy());
        }
    }

    /** A value as a keyword's arguments: lists and maps spread, as imagebake's keywords take them. */
    private static String args(Val v) {
        if (v instanceof Val.Lst l && !l.items().isEmpty()) {
            return String.join(", ", l.items().stream().map(Val::groovy).toList());
        }
        if (v instanceof Val.Obj o && !o.entries().isEmpty()) {
            String g = o.groovy();
            return g.substring(1, g.length() - 1);
        }
        return v instanceof Val.Lst || v instanceof Val.Obj ? "(" + v.groovy() + ")" : v.groovy();
    }

    private static String text(Block step, String option) {
        return step.attrs.get(option) == null ? null : step.attrs.get(option).text();
    }
}
