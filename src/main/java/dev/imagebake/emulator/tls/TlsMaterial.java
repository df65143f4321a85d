package dev.imagebake.emulator.tls;

import dev.imagebake.emulator.DataDir;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The emulator's own little PKI: a CA (whose certificate clients trust, {@code ca.pem}) and a server certificate
 * for 127.0.0.1, localhost and the public Azure host names its proxy stands in for ({@link #PROXIED_HOSTS}), signed
 * by it. Made once and kept as PEM files, so a client that trusts the CA keeps trusting the emulator across restarts;
 * a server certificate from an older data folder that lacks those names is made again under the same CA. A separate CA, rather than one self-signed server certificate, lets later
 * features (a proxy standing in for management.azure.com) issue more server certificates under the same trust.
 */
public final class TlsMaterial {
    private static final char[] NO_PASSWORD = new char[0];

    /**
     * The public Azure host names the server certificate also names, so that a client sent here by the emulator's
     * proxy ({@code CONNECT management.azure.com:443}) accepts it: Resource Manager, its old service-management
     * name (a token audience some clients call), and the Azure AD authority (with its older alias).
     */
    public static final List<String> PROXIED_HOSTS = List.of("management.azure.com", "management.core.windows.net",
            "login.microsoftonline.com", "login.windows.net");

    private final X509Certificate caCertificate;
    private final X509Certificate serverCertificate;
    private final PrivateKey serverKey;

    private TlsMaterial(X509Certificate caCertificate, X509Certificate serverCertificate, PrivateKey serverKey) {
        this.caCertificate = caCertificate;
        this.serverCertificate = serverCertificate;
        this.serverKey = serverKey;
    }

    public static TlsMaterial loadOrCreate(DataDir dir) throws IOException {
        try {
            if (Files.exists(dir.caCertificate()) && Files.exists(dir.serverKey())) {
                X509Certificate ca = readCertificate(dir.caCertificate());
                X509Certificate server = readCertificate(dir.serverCertificate());
                if (namesAllHosts(server)) {
                    return new TlsMaterial(ca, server, readKey(dir.serverKey()));
                }
                return renewServer(dir, ca);
            }
            KeyPair caKeys = newKeyPair();
            X500Name caName = new X500Name("CN=imagebake emulator CA");
            X509Certificate ca = sign(caName, caName, caKeys.getPublic(), caKeys, null, Duration.ofDays(3650), true);
            KeyPair serverKeys = newKeyPair();
            X509Certificate server = sign(new X500Name("CN=localhost"), caName, serverKeys.getPublic(), caKeys, ca,
                    Duration.ofDays(825), false);
            // Keys first, certificates last: ca.pem present means the set is complete.
            DataDir.writeAtomically(dir.caKey(), pem(new JcaPKCS8Generator(caKeys.getPrivate(), null)), true);
            DataDir.writeAtomically(dir.serverKey(), pem(new JcaPKCS8Generator(serverKeys.getPrivate(), null)), true);
            DataDir.writeAtomically(dir.serverCertificate(), pem(server), false);
            DataDir.writeAtomically(dir.caCertificate(), pem(ca), false);
            return new TlsMaterial(ca, server, serverKeys.getPrivate());
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IOException("cannot create the emulator's TLS certificates: " + e.getMessage(), e);
        }
    }

    /** A new server certificate (and key) under the existing CA, for a data folder made before the proxy existed. */
    private static TlsMaterial renewServer(DataDir dir, X509Certificate ca)
            throws IOException, GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
        PrivateKey caKey = readKey(dir.caKey());
        KeyPair caKeys = new KeyPair(ca.getPublicKey(), caKey);
        KeyPair serverKeys = newKeyPair();
        X509Certificate server = sign(new X500Name("CN=localhost"), new X500Name(ca.getSubjectX500Principal()
                .getName()), serverKeys.getPublic(), caKeys, ca, Duration.ofDays(825), false);
        DataDir.writeAtomically(dir.serverKey(), pem(new JcaPKCS8Generator(serverKeys.getPrivate(), null)), true);
        DataDir.writeAtomically(dir.serverCertificate(), pem(server), false);
        return new TlsMaterial(ca, server, serverKeys.getPrivate());
    }

    private static boolean namesAllHosts(X509Certificate certificate) throws GeneralSecurityException {
        Collection<List<?>> names = certificate.getSubjectAlternativeNames();
        Set<String> dns = new HashSet<>();
        for (List<?> name : names == null ? List.<List<?>>of() : names) {
            if (Integer.valueOf(2).equals(name.get(0))) {
                dns.add(String.valueOf(name.get(1)));
            }
        }
        return dns.containsAll(PROXIED_HOSTS);
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /** A server-side context presenting the server certificate and the CA above it. */
    public SSLContext serverContext() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", serverKey, NO_PASSWORD, new X509Certificate[] {serverCertificate, caCertificate});
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, NO_PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, new SecureRandom());
        return context;
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        // P-256: fast to generate, and accepted by Java, OpenSSL (Azure CLI) and Go clients alike.
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(X500Name subject, X500Name issuer, PublicKey subjectKey, KeyPair issuerKeys,
                                        X509Certificate issuerCertificate, Duration validity, boolean isCa)
            throws GeneralSecurityException, IOException, org.bouncycastle.operator.OperatorCreationException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer,
                new BigInteger(127, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(validity)), subject, subjectKey);
        JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
        // Subject and authority key identifiers: strict verifiers (Python 3.13's default) reject certificates without.
        builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(subjectKey));
        builder.addExtension(Extension.authorityKeyIdentifier, false, issuerCertificate == null
                ? extensions.createAuthorityKeyIdentifier(issuerKeys.getPublic())
                : extensions.createAuthorityKeyIdentifier(issuerCertificate));
        if (isCa) {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            List<GeneralName> names = new ArrayList<>(List.of(new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.dNSName, "localhost")));
            PROXIED_HOSTS.forEach(host -> names.add(new GeneralName(GeneralName.dNSName, host)));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(names.toArray(GeneralName[]::new)));
        }
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
        try (PEMParser parser = new PEMParser(Files.newBufferedReader(file))) {
            return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) parser.readObject());
        }
    }

    private static PrivateKey readKey(Path file) throws IOException {
        try (PEMParser parser = new PEMParser(Files.newBufferedReader(file))) {
            // Written as PKCS#8 ("PRIVATE KEY"): BouncyCastle's default "EC PRIVATE KEY" form reads back without
            // the curve parameters, which the JDK then refuses.
            return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) parser.readObject());
        }
    }
}
