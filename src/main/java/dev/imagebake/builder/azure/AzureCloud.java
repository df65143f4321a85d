package dev.imagebake.builder.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.management.AzureEnvironment;
import com.azure.core.management.profile.AzureProfile;
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

    private AzureCloud(AzureEnvironment environment, HttpClient httpClient, TokenCredential credential, String tenant,
                       String subscription, String description, boolean loopback, String secret) {
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
            http = ca == null ? defaultClient(null)
                    : defaultClient(trusting(cloudFile.toAbsolutePath().getParent().resolve(String.valueOf(ca))));
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
        String clientId = first(auth.clientId(), (String) file.get("clientId"), null);
        if (auth.clientId() != null && auth.clientCertificate() != null) {
            credential = new ClientCertificateCredentialBuilder().authorityHost(authority).tenantId(tenant)
                    .clientId(auth.clientId()).pemCertificate(templateFolder.resolve(auth.clientCertificate())
                            .toString())
                    .httpClient(http).executorService(TOKEN_REQUESTS).build();
        } else if (clientId != null && first(auth.clientSecret(), (String) file.get("clientSecret"), null) != null) {
            secret = first(auth.clientSecret(), (String) file.get("clientSecret"), null);
            ClientSecretCredentialBuilder builder = new ClientSecretCredentialBuilder().authorityHost(authority)
                    .tenantId(tenant).clientId(clientId).clientSecret(secret).httpClient(http)
                    .executorService(TOKEN_REQUESTS);
            if (cloudFile != null) {
                builder.disableInstanceDiscovery(); // a private authority has no instance-discovery endpoint
            }
            credential = builder.build();
        } else {
            credential = new DefaultAzureCredentialBuilder().authorityHost(authority).tenantId(tenant)
                    .httpClient(http).executorService(TOKEN_REQUESTS).build();
        }
        boolean loopback = environment.getResourceManagerEndpoint().matches("https://(127\\.[0-9.]+|localhost|\\[::1])[:/].*");
        return new AzureCloud(environment, http, credential, tenant, subscription, description, loopback, secret);
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
        try (InputStream in = Files.newInputStream(caPem)) {
            Certificate ca = CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("cloud-ca", ca);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust the CA certificate " + caPem + ": " + e.getMessage(), e);
        }
    }

    public AzureProfile profile() {
        return new AzureProfile(tenant, subscription, environment);
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

    /** The client secret in use, if any, so that it can be redacted from every output. */
    public String secret() {
        return secret;
    }
}
