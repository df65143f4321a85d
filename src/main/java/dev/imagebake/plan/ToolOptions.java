package dev.imagebake.plan;

import java.util.Map;

/**
 * What the configuration-management provisioners ({@code puppet}, {@code chef}, {@code salt}, {@code ansibleLocal},
 * {@code goss}, ...) share: where their files are staged on the machine, whether that folder is removed, how the
 * tool runs and how it is installed when missing.
 *
 * @param stagingDirectory      the folder on the machine the step's files are uploaded to
 * @param cleanStagingDirectory remove that folder when the step ends (also when it failed)
 * @param preventSudo           run the tool as the SSH user instead of through {@code sudo -n}
 * @param executeCommand        the command that runs the tool, with the tool's placeholders; null: the default
 * @param install               null: never install; {@code package}: the distribution's package when the tool is
 *                              missing; an {@code https://} URL: the vendor's bootstrap script, run when missing
 * @param installCommand        a command that installs the tool, run when it is missing (instead of
 *                              {@code install}); null: none
 * @param env                   variables the tool runs with, besides the build's (PACKER_BUILD_NAME, ...)
 */
public record ToolOptions(String stagingDirectory, boolean cleanStagingDirectory, boolean preventSudo,
                          String executeCommand, String install, String installCommand, Map<String, String> env) {
    public ToolOptions {
        env = Ordered.copy(env);
    }

    /**
     * The placeholders of a provisioner's execute command: names as written between the braces, each followed by
     * whether its value is one word (a path) rather than shell text (a list of arguments), for example
     * {@code placeholders(".ManifestFile", true, ".ExtraArguments", false)}.
     */
    public static Map<String, Boolean> placeholders(Object... pairs) {
        Map<String, Boolean> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], (Boolean) pairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    /** How a message lists the placeholders. */
    public static String describe(Map<String, Boolean> placeholders) {
        return String.join(", ", placeholders.keySet().stream().map(name -> "{{" + name + "}}").toList());
    }
}
