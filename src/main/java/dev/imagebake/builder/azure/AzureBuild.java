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
    /** On a temporary resource group whose name the template chose (tempResourceGroupName): gc deletes it whole. */
    static final String TAG_TEMPORARY_GROUP = "imagebake-temporary-group";
    /**
     * Where {@code --on-error=abort} puts the copy of the build machine's key (a glob: the folder name ends in a
     * random part), so that {@code gc} removes it with the machine.
     */
    static final String TAG_KEPT_FILES = "imagebake-kept-files";
    /**
     * On an image or gallery image version: when its build recorded it as its result. Until then the image carries
     * the build's lease tags like a temporary resource, and {@code gc} lists it when the build is over.
     */
    static final String TAG_RECORDED = "imagebake-recorded-at";
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
    /** The user's own key ({@code sshPrivateKeyFile}), read when the VM is created; null: {@link #clientKey}. */
    OwnSshKey ownKey;
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
    /** The step cache ({@code cache true}), or null. */
    StepCache cache;
    /** Set once the image is on record as this build's artifact (the last step, or a cleanup after a failure). */
    volatile boolean recorded;
    /**
     * The temporary group's deletion when it was started before the cleanup, while the gallery version replicates
     * from the managed image ({@link StepCreateResourceGroup#deleteWhileReplicating}); null until then. The group's
     * cleanup waits for this one instead of starting another.
     */
    volatile com.azure.core.util.polling.SyncPoller<com.azure.core.management.polling.PollResult<Void>, Void>
            groupDeletion;

    AzureBuild(AzureBuilderSpec spec, AzureOptions options, String buildName, String runId) {
        this.spec = spec;
        this.options = options;
        this.id = shortId(buildName, runId);
        this.temporaryGroup = spec.buildResourceGroup() == null;
        this.resourceGroup = !temporaryGroup ? spec.buildResourceGroup()
                : spec.tempResourceGroupName() != null ? spec.tempResourceGroupName() : "imagebake-" + id;
        this.location = spec.location();
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, String> t = new LinkedHashMap<>(spec.tags());
        t.put(TAG_BUILD, id);
        t.put(TAG_TEMPLATE, options.template() == null ? "" : options.template().getFileName().toString());
        t.put(TAG_STARTED, now.toString());
        t.put(TAG_EXPIRES, now.plus(LEASE).toString());
        t.put(TAG_HOST, hostName());
        t.put(TAG_PID, Long.toString(ProcessHandle.current().pid()));
        t.put(TAG_KEPT_FILES, java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), keptFolderPrefix(id) + "*")
                .toString());
        this.tags = Map.copyOf(t);
        this.clientKey = OpenSshKeys.generate("imagebake-" + id);
        this.hostKey = OpenSshKeys.generate("imagebake-host-" + id);
    }

    /** The admin user's key as an {@code authorized_keys} line: the user's own key's, else the generated one's. */
    String clientPublicLine() {
        return ownKey != null ? ownKey.publicLine() : clientKey.publicLine();
    }

    /** The private key the build logs in with. A secret. */
    String clientPrivateKey() {
        return ownKey != null ? ownKey.privateKeyText() : clientKey.privateKeyText();
    }

    /** The start of the name of the folder that {@code --on-error=abort} keeps the machine's key copy in. */
    static String keptFolderPrefix(String id) {
        return "imagebake-kept-" + id + "-";
    }

    /**
     * The tags of the images this build makes: the template's, plus this build's id, host, process and lease, so
     * that {@code gc} can tell an image whose build died before recording it from a finished one.
     */
    Map<String, String> artifactTags() {
        Map<String, String> t = new LinkedHashMap<>(tags);
        t.remove(TAG_KEPT_FILES);
        t.putAll(spec.tags());
        return t;
    }

    /** A name for a temporary resource of this build, e.g. {@code ib-web-3f2a9c1d-vm}. */
    String name(String suffix) {
        return "ib-" + id + "-" + suffix;
    }

    /** The build VM's name, also its host name: the template's {@code tempComputeName}, or {@code ib-ID-vm}. */
    String vmName() {
        return spec.tempComputeName() != null ? spec.tempComputeName() : name("vm");
    }

    String subscriptionPath() {
        return "/subscriptions/" + clients.cloud().subscription();
    }

    /** The subscription of the gallery the version is published to (the build's unless the template names another). */
    String gallerySubscription() {
        String other = spec.gallery() == null ? null : spec.gallery().subscription();
        return other != null ? other : clients.cloud().subscription();
    }

    /** The compute client of the destination gallery's subscription. */
    com.azure.resourcemanager.compute.fluent.ComputeManagementClient galleryCompute() {
        return clients.compute(gallerySubscription());
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
