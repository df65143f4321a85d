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

    public AzureClients(AzureCloud cloud) {
        this.cloud = cloud;
        ArmRateLimiter limiter = ArmRateLimiter.forSubscription(cloud.subscription());
        // The SDK's default: 3 retries from 0.8 s; ARM's throttling windows need a little more patience.
        RetryOptions retry = new RetryOptions(new ExponentialBackoffOptions().setMaxRetries(6)
                .setBaseDelay(Duration.ofMillis(800)).setMaxDelay(Duration.ofSeconds(30)))
                .setShouldRetryCondition(AzureClients::worthRetrying);
        resources = ResourceManager.configure().withHttpClient(cloud.httpClient()).withPolicy(limiter)
                .withRetryOptions(retry).authenticate(cloud.credential(), cloud.profile())
                .withSubscription(cloud.subscription());
        network = NetworkManager.configure().withHttpClient(cloud.httpClient()).withPolicy(limiter)
                .withRetryOptions(retry).authenticate(cloud.credential(), cloud.profile());
        compute = ComputeManager.configure().withHttpClient(cloud.httpClient()).withPolicy(limiter)
                .withRetryOptions(retry).authenticate(cloud.credential(), cloud.profile());
    }

    /**
     * Throttling, timeouts, server errors and dropped connections are worth another try; a refused credential is
     * not (retrying it only delays the message by a minute).
     */
    static boolean worthRetrying(RequestRetryCondition condition) {
        Throwable failure = condition.getThrowable();
        if (failure != null) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (t instanceof ClientAuthenticationException || t instanceof CredentialUnavailableException) {
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

    public ResourceManager resourceManager() {
        return resources;
    }
}
