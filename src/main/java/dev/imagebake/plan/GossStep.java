package dev.imagebake.plan;

import java.util.List;
import java.util.Map;

/**
 * Runs {@code goss validate} on the build machine, as the goss Packer plugin ({@code YaleUniversity/packer-plugin-goss})
 * does: goss is downloaded when the machine lacks it, the test files are uploaded to the remote path (the staging
 * folder) and a failing test fails the step.
 *
 * @param tests         test files or folders, relative to the template's folder, uploaded to {@code REMOTE_PATH/NAME}
 * @param version       the goss release downloaded when goss is missing
 * @param arch          the release's architecture
 * @param url           where goss is downloaded from
 * @param downloadPath  where the download goes on the machine
 * @param username      the user for the download (curl -u), or null
 * @param password      that user's password, or null
 * @param skipInstall   never download goss (it must be on the machine)
 * @param skipSslChk    download without checking the server's certificate
 * @param useSudo       run goss through sudo
 * @param gossFile      the goss file to run, relative to the remote path (goss's default: ./goss.yaml), or null
 * @param varsFile      a variables file, uploaded to {@code REMOTE_PATH/NAME} and given as --vars, or null
 * @param varsEnv       variables in goss's environment
 * @param varsInline    variables given as --vars-inline (JSON)
 * @param retryTimeout  goss's --retry-timeout
 * @param sleep         goss's --sleep
 * @param format        goss's -f (output format), or null
 * @param formatOptions goss's -o, or null
 * @param inspect       failing tests are reported but do not fail the step
 * @param tool          the staging folder (the remote path), sudo, execute and install commands
 */
public record GossStep(List<String> tests, String version, String arch, String url, String downloadPath,
                       String username, String password, boolean skipInstall, boolean skipSslChk, boolean useSudo,
                       String gossFile, String varsFile, Map<String, String> varsEnv, Map<String, String> varsInline,
                       String retryTimeout, String sleep, String format, String formatOptions, boolean inspect,
                       ToolOptions tool) implements ToolStep {
    /** The plugin's defaults. */
    public static final String DEFAULT_VERSION = "0.3.9";
    public static final String DEFAULT_ARCH = "amd64";
    public static final String DEFAULT_REMOTE_FOLDER = "/tmp";
    public static final String DEFAULT_RETRY_TIMEOUT = "0s";
    public static final String DEFAULT_SLEEP = "1s";
    /** goss's output formats and format options, as the plugin allows them. */
    public static final List<String> FORMATS = List.of("documentation", "json", "json_oneline", "junit", "nagios",
            "nagios_verbose", "rspecish", "silent", "tap");
    public static final List<String> FORMAT_OPTIONS = List.of("perfdata", "verbose", "pretty");
    /**
     * The placeholders of {@code executeCommand} (the plugin has none; these are the parts of its validate command):
     * the remote path, {@code sudo -n} or nothing, the {@code env NAME=value ...} prefix, the goss command, goss's
     * global options (--gossfile, --vars, --vars-inline) and the validate options.
     */
    public static final Map<String, Boolean> PLACEHOLDERS = ToolOptions.placeholders(".RemotePath", true,
            ".Sudo", false, ".Env", false, ".Goss", true, ".GlobalOptions", false, ".ValidateOptions", false);

    public GossStep {
        tests = List.copyOf(tests);
        varsEnv = Ordered.copy(varsEnv);
        varsInline = Ordered.copy(varsInline);
    }

    /** The plugin's download URL for a goss release ({@code alpha}: the alpha build, GOSS_USE_ALPHA=1). */
    public static String releaseUrl(String version, String arch, boolean alpha) {
        return "https://github.com/aelsabbahy/goss/releases/download/v" + version + "/goss-"
                + (alpha ? "alpha-" : "") + "linux-" + arch;
    }

    @Override
    public String kind() {
        return "goss";
    }
}
