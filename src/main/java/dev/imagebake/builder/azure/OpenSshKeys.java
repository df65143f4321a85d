package dev.imagebake.builder.azure;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * An ed25519 key pair made in memory for one build, in the two text forms SSH needs: the public key as an
 * {@code authorized_keys} line, and the private key in OpenSSH's own format (unencrypted), which both sshj and
 * cloud-init's {@code ssh_keys} read. Nothing is written to disk.
 */
public final class OpenSshKeys {
    private static final String TYPE = "ssh-ed25519";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] publicKey;
    private final byte[] seed;
    private final String comment;

    private OpenSshKeys(byte[] publicKey, byte[] seed, String comment) {
        this.publicKey = publicKey;
        this.seed = seed;
        this.comment = comment;
    }

    public static OpenSshKeys generate(String comment) {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            // The JDK encodes Ed25519 keys as X.509 / PKCS#8 with the raw 32 bytes last.
            byte[] pub = pair.getPublic().getEncoded();
            byte[] priv = pair.getPrivate().getEncoded();
            return new OpenSshKeys(Arrays.copyOfRange(pub, pub.length - 32, pub.length),
                    Arrays.copyOfRange(priv, priv.length - 32, priv.length), comment);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java has no Ed25519 support", e);
        }
    }

    /** {@code ssh-ed25519 AAAA... comment} */
    public String publicLine() {
        return TYPE + " " + Base64.getEncoder().encodeToString(publicBlob()) + " " + comment;
    }

    /** The key's fingerprint as OpenSSH prints it: {@code SHA256:} and unpadded base64. */
    public String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(publicBlob());
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The private key as {@code -----BEGIN OPENSSH PRIVATE KEY-----} text. A secret: never log it. */
    public String privateKeyText() {
        Writer keys = new Writer();
        int check = RANDOM.nextInt();
        keys.u32(check).u32(check).string(TYPE).string(publicKey).string(concat(seed, publicKey)).string(comment);
        for (int pad = 1; keys.size() % 8 != 0; pad++) {
            keys.out.write(pad);
        }
        Writer file = new Writer();
        file.out.writeBytes("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII));
        file.string("none").string("none").string(new byte[0]).u32(1).string(publicBlob()).string(keys.bytes());
        String body = Base64.getMimeEncoder(70, new byte[] {'\n'}).encodeToString(file.bytes());
        return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----\n";
    }

    private byte[] publicBlob() {
        return new Writer().string(TYPE).string(publicKey).bytes();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    /** SSH wire encoding: big-endian uint32 and length-prefixed strings. */
    private static final class Writer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer u32(int value) {
            out.write(value >>> 24);
            out.write(value >>> 16);
            out.write(value >>> 8);
            out.write(value);
            return this;
        }

        Writer string(String text) {
            return string(text.getBytes(StandardCharsets.UTF_8));
        }

        Writer string(byte[] data) {
            u32(data.length);
            out.writeBytes(data);
            return this;
        }

        int size() {
            return out.size();
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
