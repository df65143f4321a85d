package dev.imagebake.plan;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything the azure builder needs: how to authenticate, what to start from, the temporary build machine,
 * and where the captured image goes.
 *
 * @param sshPrivateKeyFile the user's own private key file for logging in to the build VM (relative to the
 *                          template's folder, absolute, or {@code ~/...}), or null for a key made for the build; the
 *                          path only, never the key
 * @param sshReadWriteTimeout how long the build VM may send nothing before the SSH connection is taken as dead
 *                            (Packer's {@code ssh_read_write_timeout}), or null for no limit
 * @param customDataFile      a file below the template's folder (relative to it) whose text is the custom data, read
 *                            when the build starts; or null
 * @param userDataFile        the same for the user data; or null
 * @param keepOsDisk          the build VM's OS disk stays in the build resource group after the build
 * @param diskEncryptionSetId the disk encryption set of the build VM's OS and data disks, or null
 * @param cache               the step cache ({@code cache true}), or null when the build does not use one
 */
public record AzureBuilderSpec(
        Auth auth,
        ImageSource source,
        PurchasePlan purchasePlan,
        String location,
        String vmSize,
        String osType,
        Integer osDiskSizeGb,
        String osDiskType,
        List<DataDisk> dataDisks,
        Spot spot,
        boolean trustedLaunch,
        String customData,
        String userData,
        List<String> userAssignedIdentities,
        Map<String, String> tags,
        String buildResourceGroup,
        String tempResourceGroupName,
        String tempComputeName,
        Network network,
        String sshUser,
        Duration sshTimeout,
        Duration operationTimeout,
        Duration galleryTimeout,
        boolean deprovision,
        ManagedImageDestination managedImage,
        GalleryDestination gallery,
        String sshPrivateKeyFile,
        Duration sshReadWriteTimeout,
        String customDataFile,
        String userDataFile,
        boolean keepOsDisk,
        String diskEncryptionSetId,
        StepCache cache) implements BuilderSpec {

    public AzureBuilderSpec {
        dataDisks = List.copyOf(dataDisks);
        userAssignedIdentities = List.copyOf(userAssignedIdentities);
        tags = Ordered.copy(tags);
    }

    @Override
    public String type() {
        return "azure";
    }

    /** This spec with another step cache setting (the command line's {@code --cache} and {@code --no-cache}). */
    public AzureBuilderSpec withCache(StepCache cache) {
        return new AzureBuilderSpec(auth, source, purchasePlan, location, vmSize, osType, osDiskSizeGb, osDiskType,
                dataDisks, spot, trustedLaunch, customData, userData, userAssignedIdentities, tags, buildResourceGroup,
                tempResourceGroupName, tempComputeName, network, sshUser, sshTimeout, operationTimeout, galleryTimeout,
                deprovision, managedImage, gallery, sshPrivateKeyFile, sshReadWriteTimeout, customDataFile,
                userDataFile, keepOsDisk, diskEncryptionSetId, cache);
    }

    /**
     * The step cache: after each provisioning step, a snapshot of the build VM's OS disk, kept in
     * {@code resourceGroup} for {@code ttl}; a later build whose source and first steps are the same starts from the
     * newest matching snapshot.
     */
    public record StepCache(Duration ttl, String resourceGroup) {
        public static final String DEFAULT_GROUP = "imagebake-cache";
        public static final StepCache DEFAULT = new StepCache(Duration.ofDays(7), DEFAULT_GROUP);
    }

    /**
     * How to sign in. With none of the explicit settings, the Azure SDK's default chain applies (environment,
     * workload identity, managed identity, Azure CLI session).
     *
     * @param cloud     {@code public}, {@code china}, {@code usgovernment}, or a path to a cloud file
     * @param clientJwt a client assertion (a JWT, always sensitive) used instead of a client secret
     * @param oidc      where to fetch a fresh OpenID Connect ID token as client assertion for every sign-in
     *                  ({@code github}: GitHub Actions' token service), or null
     */
    public record Auth(String cloud, String subscription, String tenant, String clientId, String clientSecret,
                       String clientCertificate, String clientJwt, String oidc) {
        public static final Auth DEFAULT = new Auth("public", null, null, null, null, null);

        public Auth(String cloud, String subscription, String tenant, String clientId, String clientSecret,
                    String clientCertificate) {
            this(cloud, subscription, tenant, clientId, clientSecret, clientCertificate, null, null);
        }
    }

    /** What the build machine boots from. */
    public sealed interface ImageSource permits Marketplace, ManagedImage, GalleryImage, CommunityGalleryImage,
            SharedGalleryImage {
    }

    /** A marketplace image; {@code version} may be {@code latest}. */
    public record Marketplace(String publisher, String offer, String sku, String version) implements ImageSource {
    }

    /** An existing managed image, by resource id. */
    public record ManagedImage(String id) implements ImageSource {
    }

    /**
     * A gallery image version; {@code version} may be {@code latest} for the newest version of the definition.
     *
     * @param subscription the gallery's subscription when it is not the build's, else null
     */
    public record GalleryImage(String resourceGroup, String gallery, String image, String version,
                               String subscription) implements ImageSource {
    }

    /**
     * A version of a gallery shared to the community, by its id {@code /CommunityGalleries/NAME/Images/IMAGE/
     * Versions/VERSION}; VERSION may be {@code latest}.
     */
    public record CommunityGalleryImage(String id) implements ImageSource {
    }

    /**
     * A version of a gallery shared directly with the build's subscription or tenant, by its id
     * {@code /SharedGalleries/UNIQUE-NAME/Images/IMAGE/Versions/VERSION}; VERSION may be {@code latest}.
     */
    public record SharedGalleryImage(String id) implements ImageSource {
    }

    public record PurchasePlan(String name, String product, String publisher) {
    }

    public record DataDisk(int lun, int sizeGb, String type) {
    }

    /** A Spot build machine; {@code maxPrice} -1 pays up to the on-demand price. */
    public record Spot(double maxPrice, String evictionPolicy) {
    }

    /**
     * An existing network for the build machine. Without one, a temporary network is created whose security group
     * admits SSH only from {@code allowedSshFrom} (or this host's detected public address).
     */
    public record Network(String resourceGroup, String virtualNetwork, String subnet, boolean privateIp,
                          List<String> allowedSshFrom) {
        public Network {
            allowedSshFrom = List.copyOf(allowedSshFrom);
        }
    }

    public record ManagedImageDestination(String name, String resourceGroup, String storageType, boolean zoneResilient) {
    }

    /**
     * A gallery image version to publish.
     *
     * @param regions      target regions with their replica counts, in order
     * @param addedRegion  the build's location when the template's regions left it out and it was added (Azure
     *                     needs the version in its source's region), else null
     * @param subscription the gallery's subscription when it is not the build's (the version is published there
     *                     from the image captured in the build's subscription), else null
     */
    public record GalleryDestination(String gallery, String resourceGroup, String image, String version,
                                     Map<String, Integer> regions, String storageType, boolean shallowReplication,
                                     boolean excludeFromLatest, String endOfLifeDate, String addedRegion,
                                     String subscription) {
        public GalleryDestination {
            regions = Ordered.copy(regions);
        }
    }
}
