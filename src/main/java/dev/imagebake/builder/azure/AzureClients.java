package dev.imagebake.builder.azure;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RequestRetryCondition;
import com.azure.identity.CredentialUnavailableException;
import com.azure.core.http.policy.RetryOptions;
import com.azure.resourcemanager.compute.ComputeManager;
import com.azure.resourcemanager.compute.fluent.ComputeManagementClient;
import com.azure.resourcemanager.network.NetworkManager;
import com.azure.resourcemanager.network.fluent.NetworkManagementClient;
import com.azure.resourcemanager.resources.ResourceManager;
import com.azure.resourcemanager.resources.fluent.ResourceManagementClient;

import java.time.Duration;

/**
 * The Azure SDK clients a build uses, all sharing one HTTP client, one credential and the process-wide rate
 * limiter. Only the three managers imagebake needs are built (the aggregate client builds some twenty).
 */
public final class AzureClients {
    private final AzureCloud cloud;
    private final ResourceManager resources;
    private final NetworkManager network;
    private final ComputeManager compute;
    private final RetryOptions retry;
    /** Compute clients for the tenant's other subscriptions (galleries the template names there), made when needed. */
    private final java.util.Map<String, ComputeManagementClient> otherCompute =
            new java.util.concurrent.ConcurrentHashMap<>();

    public AzureClients(AzureCloud cloud) {
        this(cloud, () -> false);
    }

    /**
     * @param cancelled true while the work these clients serve is cancelled (Ctrl-C): a failed request is then not
     *                  sent again, even when the interrupt that cancelled it was swallowed on the way
     */
    public AzureClients(AzureCloud cloud, java.util.function.BooleanSupplier cancelled) {
        this.cloud = cloud;
        ArmRateLimiter limiter = ArmRateLimiter.forSubscription(cloud.subscription());
        RetryOptions retry = retryOptions(cancelled);
        this.retry = retry;
        resources = ResourceManager.configure().withHttpClient(cloud.httpClient()).withPolicy(limiter)
                .withRetryOptions(retry).authenticate(cloud.credential(), cloud.profile())
                .withSubscription(cloud.subscription());
        network = NetworkManager.configure().withHttpClient(cloud.httpClient()).withPolicy(limiter)
                .withRetryOptions(retry).authenticate(cloud.credential(), cloud.profile());
        compute = ComputeManager.configure().withHttpClient(cloud.httpClient()).withPolicy(limiter)
                .withRetryOptions(retry).authenticate(cloud.credential(), cloud.profile());
    }

    /** How many times a request that failed in a way worth retrying is sent again before the failure is final. */
    static final int MAX_RETRIES = 6;

    /**
     * The SDK's default is 3 retries from 0.8 s; ARM's throttling windows need a little more patience. The same
     * options serve the credentials' token requests, so that a refused TLS certificate is not retried there either.
     */
    static RetryOptions retryOptions(java.util.function.BooleanSupplier cancelled) {
        return new RetryOptions(new ExponentialBackoffOptions().setMaxRetries(MAX_RETRIES)
                .setBaseDelay(Duration.ofMillis(800)).setMaxDelay(Duration.ofSeconds(30)))
                .setShouldRetryCondition(condition -> !cancelled.getAsBoolean() && worthRetrying(condition));
    }

    /**
     * Throttling, timeouts, server errors and dropped connections are worth another try; a refused credential is
     * not (retrying it only delays the message by a minute), nor is a certificate the client does not trust (it
     * will not be trusted a second later either), nor a request whose thread was interrupted (Ctrl-C).
     */
    static boolean worthRetrying(RequestRetryCondition condition) {
        Throwable failure = condition.getThrowable();
        if (failure != null) {
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
            for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
                if (t instanceof ClientAuthenticationException || t instanceof CredentialUnavailableException
                        || t instanceof javax.net.ssl.SSLHandshakeException
                        || t instanceof java.security.cert.CertificateException
                        || t instanceof InterruptedException || t instanceof java.io.InterruptedIOException
                        && !(t instanceof java.net.SocketTimeoutException)) {
                    return false;
                }
            }
            return failure instanceof java.io.IOException || failure instanceof java.util.concurrent.TimeoutException
                    || failure.getCause() instanceof java.io.IOException;
        }
        int status = condition.getResponse().getStatusCode();
        return status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
    }

    public AzureCloud cloud() {
        return cloud;
    }

    public ResourceManagementClient resources() {
        return resources.serviceClient();
    }

    public NetworkManagementClient network() {
        return network.serviceClient();
    }

    public ComputeManagementClient compute() {
        return compute.serviceClient();
    }

    /**
     * The compute client of {@code subscription} in the same tenant, with the same credential; the build's own for
     * null or the build's subscription.
     */
    public ComputeManagementClient compute(String subscription) {
        if (subscription == null || subscription.equalsIgnoreCase(cloud.subscription())) {
            return compute();
        }
        return otherCompute.computeIfAbsent(subscription.toLowerCase(java.util.Locale.ROOT), s -> ComputeManager
                .configure().withHttpClient(cloud.httpClient())
                .withPolicy(ArmRateLimiter.forSubscription(subscription)).withRetryOptions(retry)
                .authenticate(cloud.credential(), cloud.profile(subscription)).serviceClient());
    }

    public ResourceManager resourceManager() {
        return resources;
    }
}
