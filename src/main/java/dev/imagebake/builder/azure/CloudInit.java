package dev.imagebake.builder.azure;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The custom data handed to the build VM: a cloud-config that installs the host key imagebake generated (so the first
 * SSH connection is already verified), plus the user's own custom data as a second part of a MIME multipart message,
 * which cloud-init processes in order.
 */
final class CloudInit {
    private static final String BOUNDARY = "==imagebake-cloud-init==";

    private CloudInit() {
    }

    static String customData(OpenSshKeys hostKey, String userCustomData) {
        StringBuilder config = new StringBuilder("#cloud-config\nssh_keys:\n  ed25519_private: |\n");
        for (String line : hostKey.privateKeyText().split("\n")) {
            config.append("    ").append(line).append('\n');
        }
        config.append("  ed25519_public: ").append(hostKey.publicLine()).append('\n');
        String text = userCustomData == null || userCustomData.isEmpty() ? config.toString()
                : multipart(config.toString(), userCustomData);
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String multipart(String ours, String theirs) {
        String theirType = theirs.startsWith("#cloud-config") ? "text/cloud-config"
                : theirs.startsWith("#!") ? "text/x-shellscript" : "text/plain";
        return "Content-Type: multipart/mixed; boundary=\"" + BOUNDARY + "\"\nMIME-Version: 1.0\n\n"
                + "--" + BOUNDARY + "\nContent-Type: text/cloud-config; charset=\"utf-8\"\n\n" + ours + "\n"
                + "--" + BOUNDARY + "\nContent-Type: " + theirType + "; charset=\"utf-8\"\n\n" + theirs + "\n"
                + "--" + BOUNDARY + "--\n";
    }
}
