package dev.imagebake.repl;

import dev.imagebake.dsl.AnsibleContext;
import dev.imagebake.dsl.AnsibleLocalContext;
import dev.imagebake.dsl.PuppetContext;
import dev.imagebake.dsl.SaltContext;
import dev.imagebake.dsl.ChefClientContext;
import dev.imagebake.dsl.ChefContext;
import dev.imagebake.dsl.GossContext;
import dev.imagebake.dsl.PuppetContext;
import dev.imagebake.dsl.PuppetServerContext;
import dev.imagebake.dsl.AzureBuilderContext;
import dev.imagebake.dsl.BastionContext;
import dev.imagebake.dsl.BreakpointContext;
import dev.imagebake.dsl.FileContext;
import dev.imagebake.dsl.Helpers;
import dev.imagebake.dsl.Keywords;
import dev.imagebake.dsl.ManifestContext;
import dev.imagebake.dsl.OnErrorContext;
import dev.imagebake.dsl.RebootContext;
import dev.imagebake.dsl.ShellContext;
import dev.imagebake.dsl.ShellLocalContext;
import dev.imagebake.dsl.SshBuilderContext;
import dev.imagebake.dsl.TopLevel;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Tab completion: REPL commands after a colon; otherwise the keywords of the block the cursor is in (the settings
 * of {@code builder ssh { }}, of {@code provision shell { }}, ...), or of the top level, where helpers count too.
 * The keywords are read from the DSL's context classes, so completion cannot drift from the language.
 */
final class ReplCompleter implements Completer {
    private static final Map<String, Class<?>> BLOCKS = Map.ofEntries(
            Map.entry("ssh", SshBuilderContext.class),
            Map.entry("azure", AzureBuilderContext.class),
            Map.entry("bastion", BastionContext.class),
            Map.entry("shell", ShellContext.class),
            Map.entry("file", FileContext.class),
            Map.entry("shellLocal", ShellLocalContext.class),
            Map.entry("reboot", RebootContext.class),
            Map.entry("breakpoint", BreakpointContext.class),
            Map.entry("ansible", AnsibleContext.class),
            Map.entry("ansibleLocal", AnsibleLocalContext.class),
            Map.entry("puppet", PuppetContext.class),
            Map.entry("salt", SaltContext.class),
            Map.entry("chef", ChefContext.class),
            Map.entry("chefClient", ChefClientContext.class),
            Map.entry("goss", GossContext.class),
            Map.entry("puppetServer", PuppetServerContext.class),
            Map.entry("manifest", ManifestContext.class),
            Map.entry("onError", OnErrorContext.class));

    private final Set<String> commands;
    private final Map<String, List<String>> options;

    ReplCompleter(Set<String> commands) {
        this(commands, Map.of());
    }

    /** @param options the options of each command that takes some ({@code start}: {@code --force}) */
    ReplCompleter(Set<String> commands, Map<String, List<String>> options) {
        this.commands = commands;
        this.options = options;
    }

    @Override
    public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
        candidates(line.line().substring(0, Math.min(line.cursor(), line.line().length())))
                .forEach(c -> candidates.add(new Candidate(c)));
    }

    /** What may complete the word that ends {@code before} (the text before the cursor). */
    Set<String> candidates(String before) {
        String trimmed = before.stripLeading();
        if (trimmed.startsWith(":") && !trimmed.contains(" ")) {
            Set<String> names = new TreeSet<>();
            commands.forEach(c -> names.add(":" + c));
            return names;
        }
        if (trimmed.startsWith(":")) {
            String name = trimmed.substring(1, trimmed.indexOf(' '));
            return new TreeSet<>(options.getOrDefault(name, List.of()));
        }
        if (trimmed.startsWith("!")) {
            return Set.of();
        }
        return keywordsAt(before);
    }

    /** The keywords of the innermost open DSL block at the end of {@code text}, or of the top level. */
    static Set<String> keywordsAt(String text) {
        List<String> open = InputCompleteness.openBlocks(text);
        for (int i = open.size() - 1; i >= 0; i--) {
            Class<?> block = BLOCKS.get(open.get(i));
            if (block != null) {
                return new TreeSet<>(Keywords.of(block));
            }
        }
        Set<String> top = new TreeSet<>(Keywords.of(TopLevel.class));
        top.addAll(Keywords.of(Helpers.class));
        top.add("var");
        return top;
    }
}
