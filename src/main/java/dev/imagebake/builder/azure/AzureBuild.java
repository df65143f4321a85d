package dev.imagebake.builder.azure;

import dev.imagebake.plan.AzureBuilderSpec;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the steps of one azure build share, typed: the spec, the clients once signed in, the names of the temporary
 * resources (all derived from the build id), the tags they carry, and what earlier steps found or made.
 */
final class AzureBuild {
    /** Tag keys on every temporary resource; {@code imagebake gc} reads them. */
    static final String TAG_BUILD = "imagebake-build-id";
    static final String TAG_TEMPLATE = "imagebake-template";
    static final String TAG_STARTED = "imagebake-started-at";
    static final String TAG_EXPIRES = "imagebake-expires-at";
    static final String TAG_HOST = "imagebake-host";
    static final String TAG_PID = "imagebake-pid";
    /** How long a build may own its temporary resources before {@code gc} considers them abandoned. */
    static final Duration LEASE = Duration.ofHours(12);
    /** How long one ARM operation may take when no build says (deleting what {@code gc} finds). */
    static final Duration OPERATION_LIMIT = Duration.ofMinutes(15);

    final AzureBuilderSpec spec;
    final AzureOptions options;
    final String id;
    final String resourceGroup;
    final boolean temporaryGroup;
    final Map<String, String> tags;
    final OpenSshKeys clientKey;
    final OpenSshKeys hostKey;

    AzureClients clients;
    String location;
    String subnetId;
    String nicId;
    String publicIpId;
    String vmId;
    String osDiskId;
    String sourceExactVersion;
    String sourceDescription;
    String managedImageId;
    String galleryVersionId;
    String galleryLocation;

    AzureBuild(AzureBuilderSpec spec, AzureOptions options, String buildName, String runId) {
        this.spec = spec;
        this.options = options;
        this.id = shortId(buildName, runId);
        this.temporaryGroup = spec.buildResourceGroup() == null;
        this.resourceGroup = temporaryGroup ? "imagebake-" + id : spec.buildResourceGroup();
        this.location = spec.location();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, String> t = new LinkedHashMap<>(spec.tags());
        t.put(TAG_BUILD, id);
        t.put(TAG_TEMPLATE, options.template() == null ? "" : options.template().getFileName().toString());
        t.put(TAG_STARTED, now.toString());
        t.put(TAG_EXPIRES, now.plus(LEASE).toString());
        t.put(TAG_HOST, hostName());
        t.put(TAG_PID, Long.toString(ProcessHandle.current().pid()));
        this.tags = Map.copyOf(t);
        this.clientKey = OpenSshKeys.generate("imagebake-" + id);
        this.hostKey = OpenSshKeys.generate("imagebake-host-" + id);
    }

    /** A name for a temporary resource of this build, e.g. {@code ib-web-3f2a9c1d-vm}. */
    String name(String suffix) {
        return "ib-" + id + "-" + suffix;
    }

    String subscriptionPath() {
        return "/subscriptions/" + clients.cloud().subscription();
    }

    String resourceId(String provider, String type, String name) {
        return subscriptionPath() + "/resourceGroups/" + resourceGroup + "/providers/" + provider + "/" + type + "/"
                + name;
    }

    static String shortId(String buildName, String runId) {
        String base = buildName.toLowerCase().replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        if (base.length() > 20) {
            base = base.substring(0, 20);
        }
        String suffix = runId.replace("-", "").substring(0, 8);
        return base.isEmpty() ? suffix : base + "-" + suffix;
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** How long one ARM operation of this build may take: the template's {@code operationTimeout}. */
    Duration operationLimit() {
        return spec.operationTimeout();
    }

    /** How long publishing the gallery image version may take: the template's {@code galleryTimeout}. */
    Duration publishLimit() {
        return spec.galleryTimeout();
    }
}
