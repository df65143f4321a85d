package dev.imagebake.plan;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Runs commands on the build machine, the way Packer's {@code shell} provisioner does: each script is uploaded to
 * {@link #remotePath}, made executable and executed by {@link #executeCommand} (so its {@code #!} line picks the
 * interpreter), with the variables on the command line or in a sourced file, never in the script.
 *
 * @param inline            commands made into one script whose first line is {@code #!inlineShebang}
 * @param scripts           template-relative script files, uploaded and run in order
 * @param env               environment variables (besides PACKER_BUILD_NAME, PACKER_BUILDER_TYPE,
 *                          IMAGEBAKE_BUILD_NAME and IMAGEBAKE_BUILDER_TYPE, which every script gets)
 * @param sudo              the default execute command runs the script as root through {@code sudo -n}
 * @param executeCommand    the command that runs a script, default filled in: {@code {{.Path}}} stands for the
 *                          script, {@code {{.Vars}}} for the variables, {@code {{.EnvVarFile}}} for the variables
 *                          file (imagebake's {@code {{path}}} and {@code {{env}}} still work)
 * @param envVarFormat      how one variable is written, a format with two {@code %s} (name, value)
 * @param useEnvVarFile     the variables go into a file the execute command sources
 * @param inlineShebang     the interpreter of the inline commands' script
 * @param remoteFolder      where scripts (and the variables file) go on the machine
 * @param remoteFile        the scripts' file name in {@code remoteFolder}; null: a random {@code script_NNNN.sh}
 * @param remotePath        the scripts' full path on the machine; null: {@code remoteFolder/remoteFile}
 * @param binary            scripts are sent as they are (no Windows line endings turned into Unix ones)
 * @param skipClean         the script and the variables file stay on the machine after running
 * @param startRetryTimeout how long to keep trying to start a script while the machine is unreachable
 * @param validExitCodes    exit codes that count as success
 * @param expectDisconnect  a dropped connection (for example a reboot) is not a failure
 * @param pty               allocate a pseudo-terminal
 */
public record ShellStep(List<String> inline, List<String> scripts, Map<String, String> env, boolean sudo,
                        String executeCommand, String envVarFormat, boolean useEnvVarFile, String inlineShebang,
                        String remoteFolder, String remoteFile, String remotePath, boolean binary, boolean skipClean,
                        Duration startRetryTimeout, List<Integer> validExitCodes, boolean expectDisconnect,
                        boolean pty)
        implements StepSpec {
    /** Packer's default {@code inline_shebang}. */
    public static final String DEFAULT_INLINE_SHEBANG = "/bin/sh -e";
    /** Packer's default {@code remote_folder}. */
    public static final String DEFAULT_REMOTE_FOLDER = "/tmp";
    /** Packer's default {@code start_retry_timeout}. */
    public static final Duration DEFAULT_START_RETRY_TIMEOUT = Duration.ofMinutes(5);

    public ShellStep {
        inline = List.copyOf(inline);
        scripts = List.copyOf(scripts);
        env = Ordered.copy(env);
        validExitCodes = List.copyOf(validExitCodes);
    }

    /** Packer's default {@code env_var_format}: {@code %s='%s' } on the command line, export lines in a file. */
    public static String defaultEnvVarFormat(boolean useEnvVarFile) {
        return useEnvVarFile ? "export %s='%s'\n" : "%s='%s' ";
    }

    /**
     * Packer's default {@code execute_command}; with {@code sudo true} the script runs as root, with the variables,
     * its {@code #!} line still picking the interpreter.
     */
    public static String defaultExecuteCommand(boolean sudo, boolean useEnvVarFile) {
        if (useEnvVarFile) {
            return sudo ? "chmod +x {{.Path}}; sudo -n sh -c '. {{.EnvVarFile}} && {{.Path}}'"
                    : "chmod +x {{.Path}}; . {{.EnvVarFile}} && {{.Path}}";
        }
        return sudo ? "chmod +x {{.Path}}; sudo -n env {{.Vars}} {{.Path}}" : "chmod +x {{.Path}}; {{.Vars}} {{.Path}}";
    }

    @Override
    public String kind() {
        return "shell";
    }
}
