package dev.imagebake.util;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Facts about a private key's text that can be read without decrypting it. */
public final class PrivateKeys {
    private static final String OPENSSH_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
    private static final String OPENSSH_END = "-----END OPENSSH PRIVATE KEY-----";
    private static final byte[] OPENSSH_MAGIC = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);

    /**
     * What to do about an encrypted key, since imagebake cannot ask for its passphrase.
     *
     * @param file the key's file as the user knows it, or null
     */
    public static String encryptedAdvice(String file) {
        String key = file == null ? "KEY" : file;
        return "imagebake has no passphrase setting: use a copy of the key without a passphrase (cp " + key
                + " COPY && ssh-keygen -p -N '' -f COPY), or add the key to ssh-agent (ssh-add " + key
                + ") and log in with `agent true` instead of `privateKey`";
    }

    private PrivateKeys() {
    }

    /** Whether the key is protected by a passphrase (OpenSSH, PEM or PKCS#8 format). */
    public static boolean encrypted(String text) {
        if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED")) {
            return true;
        }
        int begin = text.indexOf(OPENSSH_BEGIN);
        int end = text.indexOf(OPENSSH_END);
        if (begin < 0 || end < begin) {
            return false;
        }
        try {
            byte[] blob = Base64.getMimeDecoder().decode(text.substring(begin + OPENSSH_BEGIN.length(), end));
            ByteBuffer in = ByteBuffer.wrap(blob);
            byte[] magic = new byte[OPENSSH_MAGIC.length];
            in.get(magic);
            if (!java.util.Arrays.equals(magic, OPENSSH_MAGIC)) {
                return false;
            }
            byte[] cipher = new byte[in.getInt()];
            in.get(cipher);
            return !"none".equals(new String(cipher, StandardCharsets.US_ASCII));
        } catch (RuntimeException e) {
            return false; // not a key this can read: the SSH library will say what is wrong with it
        }
    }
}
