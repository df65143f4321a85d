package dev.imagebake.dsl;

import dev.imagebake.plan.SaltStep;
import dev.imagebake.plan.StepSpec;
import dev.imagebake.plan.ToolOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code provision salt { localStateTree 'salt' }}: uploads a Salt state tree (and pillar) to the build machine and
 * runs {@code salt-call --local} there, bootstrapping Salt first when salt-call is missing. Packer's
 * {@code salt-masterless}.
 */
public final class SaltContext extends ToolContext {
    /** salt-call's log levels ({@code -l}). */
    private static final Set<String> LOG_LEVELS = Set.of("all", "garbage", "trace", "debug", "profile", "info",
            "warning", "error", "critical", "quiet");
    private static final String STATE_NAME = "[A-Za-z0-9_./-]+";

    private String localStateTree;
    private String localPillarRoots;
    private String remoteStateTree;
    private String remotePillarRoots;
    private String minionConfig;
    private String grainsFile;
    private boolean skipBootstrap;
    private String bootstrapArgs;
    private String saltBinDir;
    private boolean noExitOnFailure;
    private String logLevel = SaltStep.DEFAULT_LOG_LEVEL;
    private String saltCallArgs;
    private String customState;
    private final List<String> stateFiles = new ArrayList<>();

    SaltContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "salt";
    }

    @Override
    protected String defaultStagingDirectory() {
        return SaltStep.DEFAULT_STAGING_DIRECTORY;
    }

    @Override
    protected Map<String, Boolean> placeholders() {
        return SaltStep.PLACEHOLDERS;
    }

    /** The state tree folder (its top.sls and states), relative to the template's folder. Packer's {@code local_state_tree}. */
    public void localStateTree(Object path) {
        localStateTree = localFolder("localStateTree", path);
    }

    /** The pillar folder, relative to the template's folder. Packer's {@code local_pillar_roots}. */
    public void localPillarRoots(Object path) {
        localPillarRoots = localFolder("localPillarRoots", path);
    }

    /** Where the state tree goes on the machine, replacing what is there (default {@code /srv/salt}). Packer's {@code remote_state_tree}. */
    public void remoteStateTree(Object path) {
        remoteStateTree = remoteFolder("remoteStateTree", path);
    }

    /** Where the pillar goes on the machine, replacing what is there (default {@code /srv/pillar}). Packer's {@code remote_pillar_roots}. */
    public void remotePillarRoots(Object path) {
        remotePillarRoots = remoteFolder("remotePillarRoots", path);
    }

    /** A minion configuration file, installed as {@code /etc/salt/minion}; it then names the roots. Packer's {@code minion_config}. */
    public void minionConfig(Object path) {
        minionConfig = localFile("minionConfig", path);
    }

    /** A grains file, installed as {@code /etc/salt/grains}. Packer's {@code grains_file}. */
    public void grainsFile(Object path) {
        grainsFile = localFile("grainsFile", path);
    }

    /** Never runs the bootstrap script: salt-call must be on the machine already. Packer's {@code skip_bootstrap}. */
    public void skipBootstrap(Object value) {
        skipBootstrap = bool("skipBootstrap", value);
    }

    /** Arguments for the bootstrap script (shell text), for example {@code '-x python3 stable 3006'}. Packer's {@code bootstrap_args}. */
    public void bootstrapArgs(Object args) {
        bootstrapArgs = blankToNull(string("bootstrapArgs", args));
    }

    /** The folder salt-call is in when it is not on the PATH. Packer's {@code salt_bin_dir}. */
    public void saltBinDir(Object path) {
        String text = string("saltBinDir", path);
        if (!text.startsWith("/")) {
            throw new TemplateError("`saltBinDir` takes an absolute path on the machine, for example "
                    + "'/opt/saltstack/salt'; got '" + text + "'");
        }
        saltBinDir = text.length() > 1 ? text.replaceAll("/+$", "") : text;
    }

    /** A failing salt-call does not fail the step (and {@code --retcode-passthrough} is left out). Packer's {@code no_exit_on_failure}. */
    public void noExitOnFailure(Object value) {
        noExitOnFailure = bool("noExitOnFailure", value);
    }

    /** salt-call's log level ({@code -l}; default {@code info}). Packer's {@code log_level}. */
    public void logLevel(Object level) {
        String text = string("logLevel", level);
        if (!LOG_LEVELS.contains(text)) {
            throw new TemplateError("`logLevel` takes one of salt-call's levels (" + String.join(", ",
                    LOG_LEVELS.stream().sorted().toList()) + "); got '" + text + "'");
        }
        logLevel = text;
    }

    /** More arguments for salt-call (shell text), after the others. Packer's {@code salt_call_args}. */
    public void saltCallArgs(Object args) {
        saltCallArgs = blankToNull(string("saltCallArgs", args));
    }

    /** Runs {@code state.sls NAME} instead of {@code state.highstate}. Packer's {@code custom_state}. */
    public void customState(Object state) {
        if (!stateFiles.isEmpty()) {
            throw new TemplateError("`customState` and `stateFiles` both choose the states salt-call applies; "
                    + "give only one");
        }
        String text = string("customState", state).strip();
        if (text.isEmpty()) {
            throw new TemplateError("`customState` takes a state name, for example 'web'");
        }
        customState = text;
    }

    /** Runs {@code state.sls NAME[,NAME]} with these states instead of {@code state.highstate}. */
    public void stateFiles(Object... names) {
        if (customState != null) {
            throw new TemplateError("`stateFiles` and `customState` both choose the states salt-call applies; "
                    + "give only one");
        }
        for (String name : strings("stateFiles", names)) {
            if (!name.matches(STATE_NAME)) {
                throw new TemplateError("`stateFiles`: '" + name + "' is not a state name (letters, digits, "
                        + "_ . / -), for example 'web' or 'web.nginx'");
            }
            stateFiles.add(name);
        }
    }

    /** Packer's name for the staging folder: the same setting as {@code stagingDirectory} (default {@code /tmp/salt}). Packer's {@code temp_config_dir}. */
    public void tempConfigDir(Object path) {
        try {
            stagingDirectory(path);
        } catch (TemplateError e) {
            throw new TemplateError(e.getMessage().replace("`stagingDirectory`", "`tempConfigDir`"));
        }
    }

    /** Salt formulas fetched from git: not supported yet. Packer's {@code formulas}. */
    public void formulas(Object... urls) {
        throw new TemplateError("`formulas` is not supported yet: check the formulas out into the state tree "
                + "(localStateTree) instead");
    }

    private static String blankToNull(String text) {
        return text.isBlank() ? null : text.strip();
    }

    private String remoteFolder(String keyword, Object value) {
        String text = string(keyword, value);
        if (!text.startsWith("/") || text.replaceAll("/+", "/").equals("/") || text.contains("..")) {
            throw new TemplateError("`" + keyword + "` takes an absolute path on the machine, without `..`, for "
                    + "example '/srv/salt' (what is there is replaced); got '" + text + "'");
        }
        return text.replaceAll("/+$", "");
    }

    @Override
    protected StepSpec spec() {
        if (localStateTree == null && !refused("localStateTree")) {
            errorAtBlock("salt needs a `localStateTree`, for example localStateTree 'salt'");
        }
        if (minionConfig != null && (remoteStateTree != null || remotePillarRoots != null)) {
            errorAtBlock("salt takes `minionConfig` or `remoteStateTree`/`remotePillarRoots`, not both: with a "
                    + "minion configuration, its file_roots and pillar_roots say where the states are");
        }
        ToolOptions tool = toolOptions();
        if (tool.install() == null && tool.installCommand() == null && !skipBootstrap) {
            tool = new ToolOptions(tool.stagingDirectory(), tool.cleanStagingDirectory(), tool.preventSudo(),
                    tool.executeCommand(), SaltStep.BOOTSTRAP_URL, null, tool.env());
        }
        return new SaltStep(localStateTree, localPillarRoots,
                remoteStateTree != null ? remoteStateTree : SaltStep.DEFAULT_REMOTE_STATE_TREE,
                remotePillarRoots != null ? remotePillarRoots : SaltStep.DEFAULT_REMOTE_PILLAR_ROOTS,
                minionConfig, grainsFile, skipBootstrap, bootstrapArgs, saltBinDir, noExitOnFailure, logLevel,
                saltCallArgs, customState, stateFiles, tool);
    }
}
