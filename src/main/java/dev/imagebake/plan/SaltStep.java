package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/**
 * Runs {@code salt-call --local} on the build machine, as Packer's {@code salt-masterless} provisioner does: the
 * state tree and pillar roots are uploaded to the staging folder (Packer's {@code temp_config_dir}) and moved into
 * place with sudo, replacing what was there; the minion configuration and grains go to {@code /etc/salt}.
 *
 * @param localStateTree    the state tree folder, relative to the template's folder
 * @param localPillarRoots  the pillar folder, relative to the template's folder; null: none
 * @param remoteStateTree   where the state tree goes on the machine ({@code --file-root})
 * @param remotePillarRoots where the pillar goes on the machine ({@code --pillar-root})
 * @param minionConfig      a minion configuration file, installed as {@code /etc/salt/minion}; null: none (then
 *                          {@code --file-root} and {@code --pillar-root} are passed)
 * @param grainsFile        a grains file, installed as {@code /etc/salt/grains}; null: none
 * @param skipBootstrap     never run the bootstrap script (salt-call must be on the machine already)
 * @param bootstrapArgs     arguments for the bootstrap script (shell text); null: none
 * @param saltBinDir        the folder salt-call is in when it is not on the PATH; null: the PATH's
 * @param noExitOnFailure   leave out {@code --retcode-passthrough} and let a failing salt-call pass
 * @param logLevel          salt-call's {@code -l} level
 * @param saltCallArgs      more arguments for salt-call (shell text); null: none
 * @param customState       run {@code state.sls NAME} instead of {@code state.highstate}; null: highstate
 * @param stateFiles        run {@code state.sls NAME[,NAME]} with these states instead of {@code state.highstate}
 * @param tool              the staging folder, sudo, execute and install commands
 */
public record SaltStep(String localStateTree, String localPillarRoots, String remoteStateTree,
                       String remotePillarRoots, String minionConfig, String grainsFile, boolean skipBootstrap,
                       String bootstrapArgs, String saltBinDir, boolean noExitOnFailure, String logLevel,
                       String saltCallArgs, String customState, List<String> stateFiles, ToolOptions tool)
        implements ToolStep {
    /** Packer's {@code temp_config_dir} default, used as the staging folder. */
    public static final String DEFAULT_STAGING_DIRECTORY = "/tmp/salt";
    /** Packer's default {@code remote_state_tree}. */
    public static final String DEFAULT_REMOTE_STATE_TREE = "/srv/salt";
    /** Packer's default {@code remote_pillar_roots}. */
    public static final String DEFAULT_REMOTE_PILLAR_ROOTS = "/srv/pillar";
    /** Packer's default log level. */
    public static final String DEFAULT_LOG_LEVEL = "info";
    /** The bootstrap script Packer runs when salt is missing. */
    public static final String BOOTSTRAP_URL = "https://bootstrap.saltstack.com";
    /**
     * The placeholders of {@code executeCommand} (Packer's salt-masterless has none; these name the parts of the
     * command it builds): {@code {{.Sudo}}} is {@code sudo -n} (or nothing), {@code {{.SaltCall}}} the salt-call
     * path and {@code {{.CmdArgs}}} everything after {@code --local}.
     */
    public static final Map<String, Boolean> PLACEHOLDERS = ToolOptions.placeholders(".Sudo", false,
            ".SaltCall", true, ".CmdArgs", false);

    public SaltStep {
        stateFiles = List.copyOf(stateFiles);
    }

    @Override
    public String kind() {
        return "salt";
    }
}
