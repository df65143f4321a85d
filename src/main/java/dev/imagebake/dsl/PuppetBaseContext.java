package dev.imagebake.dsl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code provision puppet} and {@code provision puppetServer} share: facts, arguments, where puppet is and runs. */
public abstract class PuppetBaseContext extends ToolContext {
    protected final Map<String, String> facts = new LinkedHashMap<>();
    protected final List<String> extraArguments = new ArrayList<>();
    protected String puppetBinDir;
    protected String workingDirectory;
    protected boolean ignoreExitCodes;

    protected PuppetBaseContext(Evaluation evaluation) {
        super(evaluation);
    }

    /**
     * Custom facts: {@code facts role: 'web'} (each becomes {@code FACTER_role}); packer_build_name and
     * packer_builder_type are always set. Packer's {@code facter}.
     */
    public void facts(Map<?, ?> values) {
        Map<String, String> given = stringMap("facts", values);
        for (String name : given.keySet()) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new TemplateError("`facts`: '" + name + "' is not a valid fact name (letters, digits, _)");
            }
        }
        facts.putAll(given);
    }

    /** More arguments for puppet, for example {@code extraArguments '--verbose'}. Packer's {@code extra_arguments}. */
    public void extraArguments(Object... arguments) {
        extraArguments.addAll(strings("extraArguments", arguments));
    }

    /** The folder of the puppet command when it is not on the PATH, for example '/opt/puppetlabs/bin'. Packer's {@code puppet_bin_dir}. */
    public void puppetBinDir(Object path) {
        String text = string("puppetBinDir", path);
        if (!text.startsWith("/")) {
            throw new TemplateError("`puppetBinDir` takes an absolute path, for example '/opt/puppetlabs/bin'; got '"
                    + text + "'");
        }
        puppetBinDir = text.length() > 1 ? text.replaceAll("/+$", "") : text;
    }

    /** The folder puppet runs in (default: the staging folder). Packer's {@code working_directory}. */
    public void workingDirectory(Object path) {
        workingDirectory = string("workingDirectory", path);
    }

    /** Any exit status counts as success (by default 0, "no changes", and 2, "changes applied", do). Packer's {@code ignore_exit_codes}. */
    public void ignoreExitCodes(Object value) {
        ignoreExitCodes = bool("ignoreExitCodes", value);
    }
}
