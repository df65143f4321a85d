package dev.imagebake.builder.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.management.AzureEnvironment;
import com.azure.core.management.profile.AzureProfile;
import com.azure.identity.ClientAssertionCredentialBuilder;
import com.azure.identity.ClientCertificateCredentialBuilder;
import com.azure.identity.ClientSecretCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.util.Json;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Which Azure to talk to and as whom: the endpoints (public, China, US Government, or a cloud file for Azure Stack
 * Hub or imagebake's emulator), the TLS trust, the credential and the subscription. Explicit template settings win
 * over the cloud file, which wins over the environment; without explicit credentials the Azure SDK's default chain
 * applies (environment variables, workload identity, managed identity, Azure CLI session).
 */
public final class AzureCloud {
    /**
     * Where the credentials fetch their tokens. Left to itself, azure-identity runs each token request on
     * azure-core's shared pool (10 threads per core), and the JDK HTTP client's read timeout hands every body read
     * to that same pool: with as many builds signing in at once as the pool has threads, every thread waits for a
     * read queued behind it until the 90 s read timeout, twice. A pool of their own, which grows with the builds,
     * keeps the token requests from starving their own reads.
     */
    private static final ExecutorService TOKEN_REQUESTS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "imagebake-token-request");
        thread.setDaemon(true);
        return thread;
    });

    private final AzureEnvironment environment;
    private final HttpClient httpClient;
    private final TokenCredential credential;
    private final String tenant;
    private final String subscription;
    private final String description;
    private final boolean loopback;
    private final String secret;
    private final String signInMethod;

    private AzureCloud(AzureEnvironment environment, HttpClient httpClient, TokenCredential credential, String tenant,
                       String subscription, String description, boolean loopback, String secret,
                       String signInMethod) {
        this.signInMethod = signInMethod;
        this.environment = environment;
        this.httpClient = httpClient;
        this.credential = credential;
        this.tenant = tenant;
        this.subscription = subscription;
        this.description = description;
        this.loopback = loopback;
        this.secret = secret;
    }

    /**
     * @param auth          the template's settings
     * @param cloudOverride a cloud file from {@code --cloud} or {@code IMAGEBAKE_CLOUD}, or null
     * @param env           environment variables
     */
    public static AzureCloud resolve(AzureBuilderSpec.Auth auth, Path cloudOverride, Path templateFolder,
                                     Map<String, String> env) throws IOException {
        return resolve(auth, cloudOverride, templateFolder, env, secret -> { });
    }

    /**
     * @param secrets told every secret the credential comes to hold (a client assertion, GitHub's request token,
     *                each ID token fetched while the build runs), so that output redacts them
     */
    public static AzureCloud resolve(AzureBuilderSpec.Auth auth, Path cloudOverride, Path templateFolder,
                                     Map<String, String> env, Consumer<String> secrets) throws IOException {
        String cloud = auth.cloud() == null ? "public" : auth.cloud();
        Path cloudFile = cloudOverride;
        if (cloudFile == null && !isNamedCloud(cloud)) {
            cloudFile = insideTemplateFolder(cloud, templateFolder);
        }
        Map<String, Object> file = cloudFile == null ? Map.of() : readCloudFile(cloudFile);
        AzureEnvironment environment;
        HttpClient http;
        String description;
        if (cloudFile != null) {
            Map<String, String> endpoints = new HashMap<>(AzureEnvironment.AZURE.getEndpoints());
            String arm = required(file, "resourceManagerEndpoint", cloudFile);
            checkReachable(arm, cloudFile);
            endpoints.put("resourceManagerEndpointUrl", arm);
            endpoints.put("activeDirectoryEndpointUrl",
                    String.valueOf(file.getOrDefault("activeDirectoryEndpoint", arm)));
            environment = new AzureEnvironment(endpoints);
            Object ca = file.get("caCertificate");
            Path caFile = ca == null ? null : cloudFile.toAbsolutePath().getParent().resolve(String.valueOf(ca));
            SSLContext tls = caFile == null ? null : trusting(caFile);
            checkTrusted(arm, cloudFile, caFile, tls);
            http = defaultClient(tls);
            description = "the cloud described by " + cloudFile;
        } else {
            environment = switch (cloud.toLowerCase()) {
                case "china" -> AzureEnvironment.AZURE_CHINA;
                case "usgovernment" -> AzureEnvironment.AZURE_US_GOVERNMENT;
                default -> AzureEnvironment.AZURE;
            };
            http = defaultClient(null);
            description = "Azure (" + cloud + ")";
        }
        String tenant = first(auth.tenant(), (String) file.get("tenantId"), env.get("AZURE_TENANT_ID"));
        String subscription = first(auth.subscription(), (String) file.get("subscriptionId"),
                env.get("AZURE_SUBSCRIPTION_ID"));
        if (subscription == null) {
            throw new IOException("no Azure subscription: set `subscription` in the builder, AZURE_SUBSCRIPTION_ID, "
                    + "or use a cloud file that names one");
        }
        String authority = environment.getActiveDirectoryEndpoint();
        TokenCredential credential;
        String secret = null;
        String signInMethod = null;
        String clientId = first(auth.clientId(), (String) file.get("clientId"), null);
        if (auth.clientJwt() != null || auth.oidc() != null) {
            // Explicitly chosen: a cloud file's client secret must not take its place.
            secret = auth.clientJwt();
            if (secret != null) {
                secrets.accept(secret);
            }
            GitHubIdTokens github = auth.oidc() != null ? new GitHubIdTokens(env, secrets) : null;
            credential = assertionCredential(auth, tenant, authority, http, cloudFile != null, github);
            signInMethod = "as application " + auth.clientId() + (github == null ? " with the clientJwt assertion"
                    : " with OpenID Connect ID tokens from GitHub Actions (" + github.origin() + ")");
        } else if (auth.clientId() != null && auth.clientCertificate() != null) {
            credential = new ClientCertificateCredentialBuilder().authorityHost(authority).tenantId(tenant)
                    .retryOptions(AzureClients.retryOptions(() -> false))
                    .clientId(auth.clientId()).pemCertificate(templateFolder.resolve(auth.clientCertificate())
                            .toString())
                    .httpClient(http).executorService(TOKEN_REQUESTS).build();
        } else if (clientId != null && first(auth.clientSecret(), (String) file.get("clientSecret"), null) != null) {
            secret = first(auth.clientSecret(), (String) file.get("clientSecret"), null);
            ClientSecretCredentialBuilder builder = new ClientSecretCredentialBuilder().authorityHost(authority)
                    .tenantId(tenant).clientId(clientId).clientSecret(secret).httpClient(http)
                    .retryOptions(AzureClients.retryOptions(() -> false))
                    .executorService(TOKEN_REQUESTS);
            if (cloudFile != null) {
                builder.disableInstanceDiscovery(); // a private authority has no instance-discovery endpoint
            }
            credential = builder.build();
        } else {
            credential = new DefaultAzureCredentialBuilder().authorityHost(authority).tenantId(tenant)
                    .retryOptions(AzureClients.retryOptions(() -> false))
                    .httpClient(http).executorService(TOKEN_REQUESTS).build();
        }
        boolean loopback = environment.getResourceManagerEndpoint().matches("https://(127\\.[0-9.]+|localhost|\\[::1])[:/].*");
        return new AzureCloud(environment, http, credential, tenant, subscription, description, loopback, secret,
                signInMethod);
    }

    /** A client assertion must still be valid this long when the build signs in (as Packer requires). */
    static final java.time.Duration MIN_ASSERTION_VALIDITY = java.time.Duration.ofMinutes(5);

    /**
     * Signs in as {@code clientId} with a client assertion instead of a secret: the template's {@code clientJwt},
     * or, for {@code oidc 'github'}, a fresh ID token from GitHub Actions whenever azure-identity needs one.
     */
    private static TokenCredential assertionCredential(AzureBuilderSpec.Auth auth, String tenant, String authority,
                                                       HttpClient http, boolean privateCloud,
                                                       GitHubIdTokens github) throws IOException {
        String what = auth.clientJwt() != null ? "clientJwt" : "oidc 'github'";
        if (tenant == null) {
            throw new IOException(what + " needs the tenant of the application: set `tenant` in the builder, "
                    + "AZURE_TENANT_ID, or use a cloud file that names one");
        }
        java.util.function.Supplier<String> assertion;
        if (auth.clientJwt() != null) {
            String jwt = auth.clientJwt().strip();
            checkStillValid(jwt);
            assertion = () -> jwt;
        } else {
            assertion = github;
        }
        ClientAssertionCredentialBuilder builder = new ClientAssertionCredentialBuilder().authorityHost(authority)
                .tenantId(tenant).clientId(auth.clientId()).clientAssertion(assertion).httpClient(http)
                .retryOptions(AzureClients.retryOptions(() -> false)).executorService(TOKEN_REQUESTS);
        if (privateCloud) {
            builder.disableInstanceDiscovery(); // a private authority has no instance-discovery endpoint
        }
        return builder.build();
    }

    /** Refuses a client assertion that has expired or will within {@link #MIN_ASSERTION_VALIDITY}. */
    private static void checkStillValid(String jwt) throws IOException {
        java.util.Date expiry;
        try {
            expiry = com.nimbusds.jwt.JWTParser.parse(jwt).getJWTClaimsSet().getExpirationTime();
        } catch (java.text.ParseException e) {
            throw new IOException("the clientJwt is not a JWT with readable claims");
        }
        if (expiry == null) {
            return; // Entra ID decides; imagebake cannot tell how long it lasts
        }
        java.time.Instant now = java.time.Instant.now();
        if (expiry.toInstant().isBefore(now)) {
            throw new IOException("the clientJwt expired at " + expiry.toInstant() + " (it is now "
                    + now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "); give a fresh token, or on "
                    + "GitHub Actions use oidc 'github', which fetches one whenever Azure needs it");
        }
        if (expiry.toInstant().isBefore(now.plus(MIN_ASSERTION_VALIDITY))) {
            throw new IOException("the clientJwt expires at " + expiry.toInstant() + ", in less than "
                    + MIN_ASSERTION_VALIDITY.toMinutes() + " minutes; give a token valid for at least "
                    + MIN_ASSERTION_VALIDITY.toMinutes() + " more minutes");
        }
    }

    /**
     * Fails at once, naming the endpoint, when nothing answers there: the SDK would retry a refused connection for
     * a minute and a half and then report it without saying where.
     */
    private static void checkReachable(String arm, Path cloudFile) throws IOException {
        java.net.URI uri;
        try {
            uri = java.net.URI.create(arm);
        } catch (IllegalArgumentException e) {
            throw new IOException("the resourceManagerEndpoint of " + cloudFile + " is not a URL: " + arm);
        }
        if (uri.getHost() == null) {
            throw new IOException("the resourceManagerEndpoint of " + cloudFile + " is not a URL: " + arm);
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "http".equalsIgnoreCase(uri.getScheme()) ? 80 : 443;
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(uri.getHost(), port), 5000);
        } catch (IOException e) {
            boolean local = uri.getHost().equals("127.0.0.1") || uri.getHost().equals("localhost");
            throw new IOException("nothing answers at " + arm + " (the resourceManagerEndpoint of " + cloudFile
                    + "): " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                    + (local ? "; is its emulator running? Start it with: imagebake emulator --data "
                    + cloudFile.toAbsolutePath().getParent() : ""));
        }
    }

    /**
     * Fails at once, naming the endpoint and the CA file, when the endpoint's TLS certificate is not trusted: the
     * SDK would retry the refused handshake for a minute and a half, logging each attempt.
     *
     * @param caFile the cloud file's CA certificate, or null for the JVM's trust store
     * @param tls    the context that trusts {@code caFile}, or null
     */
    private static void checkTrusted(String arm, Path cloudFile, Path caFile, SSLContext tls) throws IOException {
        java.net.URI uri = java.net.URI.create(arm);
        if (!"https".equalsIgnoreCase(uri.getScheme())) {
            return;
        }
        int port = uri.getPort() > 0 ? uri.getPort() : 443;
        try {
            SSLContext context = tls != null ? tls : SSLContext.getDefault();
            try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket()) {
                socket.connect(new java.net.InetSocketAddress(uri.getHost(), port), 5000);
                socket.setSoTimeout(10_000);
                javax.net.ssl.SSLParameters parameters = socket.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
                socket.startHandshake();
            }
        } catch (javax.net.ssl.SSLException e) {
            throw new IOException("the TLS certificate of " + arm + " is not trusted ("
                    + tlsReason(e) + "): " + (caFile == null ? cloudFile + " names no caCertificate, and the "
                    + "system's trust store does not trust it" : "it was not issued by the CA certificate " + caFile
                    + " that " + cloudFile + " names; is that the CA of this endpoint?"), e);
        } catch (java.net.SocketTimeoutException e) {
            // Slow to answer is not the same as untrusted: the SDK's own timeouts and retries deal with it.
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS for " + arm + ": " + dev.imagebake.util.IoErrors.reason(e), e);
        }
    }

    private static String tlsReason(javax.net.ssl.SSLException e) {
        for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateExpiredException) {
                return "its certificate has expired";
            }
            if (t instanceof java.security.cert.CertificateException && String.valueOf(t.getMessage())
                    .contains("No subject alternative")) {
                return "its certificate is for another host name";
            }
            if (t instanceof java.security.cert.CertPathBuilderException
                    || t instanceof java.security.cert.CertPathValidatorException) {
                return "no trusted authority signed it";
            }
        }
        return "TLS handshake refused: " + dev.imagebake.util.IoErrors.reason(e);
    }

    /**
     * The cloud file a template names, which must be in the template's folder (as {@code validate} checks): a plan
     * could have been edited since, and the file's text ends up in error messages and requests.
     */
    private static Path insideTemplateFolder(String cloud, Path templateFolder) throws IOException {
        Path folder = templateFolder.toRealPath();
        Path given = Path.of(cloud);
        Path file = folder.resolve(given).normalize();
        boolean inside = !given.isAbsolute() && file.startsWith(folder);
        if (inside && Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            inside = file.toRealPath().startsWith(folder);
        }
        if (!inside) {
            throw new IOException("the cloud file '" + cloud + "' is not in the template's folder " + folder
                    + "; give its path relative to the template, or pass --cloud");
        }
        return file;
    }

    public static boolean isNamedCloud(String cloud) {
        return switch (cloud.toLowerCase()) {
            case "public", "azure", "china", "usgovernment" -> true;
            default -> false;
        };
    }

    private static Map<String, Object> readCloudFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("cloud file " + file + " does not exist");
        }
        Object parsed;
        try {
            parsed = Json.parse(Files.readString(file));
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IOException("cloud file " + file + " is not JSON: it is not UTF-8 text");
        } catch (IOException e) {
            throw new IOException(dev.imagebake.util.IoErrors.cannot("read the cloud file", file, e), e);
        } catch (RuntimeException e) {
            // Json's message quotes the offending text; a cloud file holds secrets, so only the place is told
            throw new IOException("cloud file " + file + " is not JSON: syntax error" + position(e.getMessage()));
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new IOException("cloud file " + file + " must hold a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) map;
        return result;
    }

    /** " at line L, column C" from a message of {@link Json#parse} ("L:C: what"), or "" when it has none. */
    private static String position(String message) {
        java.util.regex.Matcher at = java.util.regex.Pattern.compile("^(\\d+):(\\d+): ")
                .matcher(message == null ? "" : message);
        return at.find() ? " at line " + at.group(1) + ", column " + at.group(2) : "";
    }

    private static String required(Map<String, Object> file, String key, Path path) throws IOException {
        Object value = file.get(key);
        if (value == null) {
            throw new IOException("cloud file " + path + " has no \"" + key + "\"");
        }
        return String.valueOf(value);
    }

    private static String first(String a, String b, String c) {
        return a != null && !a.isEmpty() ? a : b != null && !b.isEmpty() ? b : c != null && !c.isEmpty() ? c : null;
    }

    private static HttpClient defaultClient(SSLContext tls) {
        java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder();
        if (tls != null) {
            jdk.sslContext(tls);
        }
        // Bounded waits: a request that hangs is retried by the SDK's retry policy instead of stalling the build.
        return new JdkHttpClientBuilder(jdk).connectionTimeout(java.time.Duration.ofSeconds(15))
                .responseTimeout(java.time.Duration.ofSeconds(90)).readTimeout(java.time.Duration.ofSeconds(90))
                .build();
    }

    static SSLContext trusting(Path caPem) throws IOException {
        byte[] pem;
        try {
            pem = Files.readAllBytes(caPem);
        } catch (IOException e) {
            throw new IOException(dev.imagebake.util.IoErrors.cannot("read the CA certificate", caPem, e), e);
        }
        if (pem.length == 0) {
            throw new IOException("the CA certificate " + caPem + " is empty; it should hold the PEM certificate "
                    + "of the authority that signed the endpoint's certificate");
        }
        try (InputStream in = new java.io.ByteArrayInputStream(pem)) {
            Certificate ca;
            try {
                ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
            } catch (java.security.cert.CertificateException e) {
                throw new IOException("the CA certificate " + caPem + " is not a PEM or DER X.509 certificate ("
                        + dev.imagebake.util.IoErrors.reason(e) + ")", e);
            }
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("cloud-ca", ca);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust the CA certificate " + caPem + ": "
                    + dev.imagebake.util.IoErrors.reason(e), e);
        }
    }

    public AzureProfile profile() {
        return new AzureProfile(tenant, subscription, environment);
    }

    /** The same cloud and tenant, another subscription (a gallery's that is not the build's). */
    public AzureProfile profile(String otherSubscription) {
        return new AzureProfile(tenant, otherSubscription, environment);
    }

    public HttpClient httpClient() {
        return httpClient;
    }

    public TokenCredential credential() {
        return credential;
    }

    public String subscription() {
        return subscription;
    }

    public String description() {
        return description;
    }

    /** True when the endpoint is on this machine (the emulator): SSH is then allowed from loopback only. */
    public boolean loopback() {
        return loopback;
    }

    /** How the build signs in, for its log ("as application ... with ..."), or null for the usual ways. */
    public String signInMethod() {
        return signInMethod;
    }

    /** The client secret in use, if any, so that it can be redacted from every output. */
    public String secret() {
        return secret;
    }
}
