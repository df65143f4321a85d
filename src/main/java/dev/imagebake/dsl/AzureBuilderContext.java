package dev.imagebake.dsl;

import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.AzureBuilderSpec.DataDisk;
import dev.imagebake.plan.AzureBuilderSpec.GalleryDestination;
import dev.imagebake.plan.AzureBuilderSpec.ImageSource;
import dev.imagebake.plan.AzureBuilderSpec.ManagedImageDestination;
import dev.imagebake.plan.AzureBuilderSpec.Network;
import dev.imagebake.plan.AzureBuilderSpec.PurchasePlan;
import dev.imagebake.plan.AzureBuilderSpec.Spot;
import dev.imagebake.util.AzureNames;

import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code builder azure { ... }}: a temporary VM on Azure, provisioned, then generalized and captured to a managed
 * image and/or a gallery image version. Required: {@code location}, {@code source} and at least one destination.
 */
public final class AzureBuilderContext extends BuilderContext {
    private static final Pattern VERSION = Pattern.compile("\\d+\\.\\d+\\.\\d+");
    /** What an OS disk, and so a managed image captured from one, can be (Premium SSD v2 and Ultra are data only). */
    private static final Set<String> OS_DISK_TYPES = Set.of("Standard_LRS", "Premium_LRS", "Premium_ZRS",
            "StandardSSD_LRS", "StandardSSD_ZRS");
    private static final Set<String> DATA_DISK_TYPES = Set.of("Standard_LRS", "Premium_LRS", "Premium_ZRS",
            "StandardSSD_LRS", "StandardSSD_ZRS", "PremiumV2_LRS", "UltraSSD_LRS");
    /** A gallery image version's storage account types per region. */
    private static final Set<String> GALLERY_STORAGE_TYPES = Set.of("Standard_LRS", "Standard_ZRS", "Premium_LRS",
            "PremiumV2_LRS");

    private String cloud = "public";
    private String subscription;
    private String tenant;
    private String clientId;
    private String clientSecret;
    private String clientCertificate;
    private String clientJwt;
    private String oidc;
    private ImageSource source;
    private PurchasePlan purchasePlan;
    private String location;
    private String vmSize = "Standard_D2s_v5";
    private String osType = "linux";
    private Integer osDiskSizeGb;
    private String osDiskType;
    private final List<DataDisk> dataDisks = new ArrayList<>();
    private Spot spot;
    private boolean trustedLaunch;
    private String customData;
    private String userData;
    private String customDataFile;
    private String userDataFile;
    private final List<String> identities = new ArrayList<>();
    private final Map<String, String> tags = new LinkedHashMap<>();
    private String buildResourceGroup;
    private String tempResourceGroupName;
    private String tempComputeName;
    private Map<String, Object> network;
    private final List<String> allowedSshFrom = new ArrayList<>();
    private String sshUser = "imagebake";
    private String sshPrivateKeyFile;
    private Duration sshTimeout = Duration.ofMinutes(20);
    private Duration sshReadWriteTimeout;
    /** Packer's defaults: {@code polling_duration_timeout} and {@code shared_image_gallery_timeout}. */
    private Duration operationTimeout = Duration.ofMinutes(15);
    private Duration galleryTimeout = Duration.ofMinutes(60);
    private boolean deprovision = true;
    private ManagedImageDestination managedImage;
    private boolean managedImageStorageTypeGiven;
    private GalleryDestination gallery;
    private boolean keepOsDisk;
    private AzureBuilderSpec.StepCache cache;
    private String diskEncryptionSetId;

    AzureBuilderContext(Evaluation evaluation, String name) {
        super(evaluation, name);
    }

    @Override
    protected String blockName() {
        return "builder azure '" + name + "'";
    }

    // ---- sign-in -----------------------------------------------------------------------------------------------

    /**
     * {@code 'public'} (default), {@code 'china'}, {@code 'usgovernment'}, or the path of a cloud file (JSON: the
     * endpoints of Azure Stack Hub or of imagebake's emulator) relative to the template's folder. A template can
     * only name a cloud file in its own folder or below; {@code --cloud} on the command line can name any file.
     */
    public void cloud(Object value) {
        String given = string("cloud", value);
        if (!NAMED_CLOUDS.contains(given.toLowerCase(java.util.Locale.ROOT))
                && !java.nio.file.Files.isRegularFile(evaluation.files().resolve(given))) {
            throw new TemplateError("no cloud file '" + given + "' next to the template");
        }
        cloud = given;
    }

    private static final java.util.Set<String> NAMED_CLOUDS = java.util.Set.of("public", "azure", "china",
            "usgovernment");

    /** The subscription to build in (default: AZURE_SUBSCRIPTION_ID, then the Azure CLI's). */
    public void subscription(Object id) {
        subscription = string("subscription", id);
    }

    /** The Microsoft Entra tenant (default: AZURE_TENANT_ID, then the Azure CLI's). */
    public void tenant(Object id) {
        tenant = string("tenant", id);
    }

    /** A service principal's application id; with {@code clientSecret} or {@code clientCertificate}. */
    public void clientId(Object id) {
        clientId = string("clientId", id);
    }

    /** The service principal's secret. Always sensitive: pass it from a sensitive variable. */
    public void clientSecret(Object secret) {
        clientSecret = string("clientSecret", secret);
        evaluation.markSensitive(clientSecret);
    }

    /** A PEM or PFX certificate file for the service principal. */
    public void clientCertificate(Object path) {
        clientCertificate = string("clientCertificate", path);
    }

    /**
     * A client assertion: a JWT that proves the application's identity instead of a secret (RFC 7523), such as an
     * OpenID Connect ID token a CI system issued for a federated identity credential of the application. Packer's
     * {@code client_jwt}. Always sensitive, never shown; checked to be a JWT here, and at sign-in to stay valid for
     * at least five more minutes. With {@code clientId} and a tenant. For GitHub Actions, {@code oidc 'github'}
     * fetches a fresh one whenever Azure asks for one instead.
     */
    public void clientJwt(Object jwt) {
        String given = string("clientJwt", jwt);
        evaluation.markSensitive(given);
        if (given.isBlank()) {
            throw new TemplateError("`clientJwt` is empty (is the environment variable it is read from unset?); "
                    + "give the ID token, or on GitHub Actions use oidc 'github'");
        }
        if (!Evaluation.isStandIn(given) && !looksLikeJwt(given)) {
            throw new TemplateError("`clientJwt` is not a JWT (three base64url parts separated by dots, the first "
                    + "a JSON header); give the token itself, for example from variable 'oidcToken', default: "
                    + "env('ARM_OIDC_TOKEN'), sensitive: true");
        }
        clientJwt = given;
    }

    private static boolean looksLikeJwt(String text) {
        try {
            com.nimbusds.jwt.JWTParser.parse(text.strip());
            return true;
        } catch (java.text.ParseException e) {
            return false;
        }
    }

    /**
     * Signs in with OpenID Connect ID tokens that the CI system issues, as client assertions for {@code clientId}
     * (which needs a federated identity credential for this workflow). {@code 'github'}: GitHub Actions' token
     * service, found through {@code ACTIONS_ID_TOKEN_REQUEST_URL} and {@code ACTIONS_ID_TOKEN_REQUEST_TOKEN} (set
     * for a job with {@code permissions: id-token: write}); a fresh ID token with audience
     * {@code api://AzureADTokenExchange} is requested each time Azure needs an assertion.
     */
    public void oidc(Object provider) {
        String given = string("oidc", provider);
        if (!given.equals("github")) {
            throw new TemplateError("`oidc` takes 'github' (GitHub Actions' token service); got '" + given
                    + "'. For another CI system, pass its ID token with clientJwt");
        }
        oidc = given;
    }

    // ---- what to start from ------------------------------------------------------------------------------------

    /**
     * The image the build VM boots from: {@code marketplace(...)}, {@code image(id)}, {@code galleryImage(...)},
     * {@code communityGalleryImage(id)} or {@code sharedGalleryImage(id)}.
     */
    public void source(Object image) {
        if (image instanceof ImageSourceValue value) {
            source = value.source();
        } else {
            throw new TemplateError("`source` takes marketplace('publisher', 'offer', 'sku'), image('/subscriptions/"
                    + "...'), galleryImage('gallery', 'definition', resourceGroup: '...'), communityGalleryImage("
                    + "'/CommunityGalleries/...') or sharedGalleryImage('/SharedGalleries/...'); got " + describe(image));
        }
    }

    /** A marketplace image, latest version. */
    public Object marketplace(Object publisher, Object offer, Object sku) {
        return marketplace(publisher, offer, sku, "latest");
    }

    /** A marketplace image at a version ({@code 'latest'} resolves at build time and is recorded). */
    public Object marketplace(Object publisher, Object offer, Object sku, Object version) {
        return new ImageSourceValue(new AzureBuilderSpec.Marketplace(string("publisher", publisher),
                string("offer", offer), string("sku", sku), string("version", version)));
    }

    /** An existing managed image, by resource id. */
    public Object image(Object id) {
        String text = string("image", id);
        if (!text.toLowerCase().startsWith("/subscriptions/") || !text.toLowerCase().contains("/images/")) {
            throw new TemplateError("`image` takes a managed image's resource id, /subscriptions/.../resourceGroups/"
                    + ".../providers/Microsoft.Compute/images/NAME");
        }
        return new ImageSourceValue(new AzureBuilderSpec.ManagedImage(text));
    }

    /**
     * A gallery image version: {@code galleryImage 'corp', 'web', resourceGroup: 'images', version: 'latest'}.
     * With {@code subscription: 'ID'} the gallery is in that subscription of the same tenant instead of the build's
     * (the build's identity needs read access to it). Packer's {@code shared_image_gallery}.
     */
    public Object galleryImage(Map<?, ?> options, Object gallery, Object definition) {
        options("galleryImage", options, Set.of("resourceGroup", "version", "subscription"));
        Object rg = options.get("resourceGroup");
        if (rg == null) {
            throw new TemplateError("`galleryImage` needs resourceGroup: '...'");
        }
        String version = options.containsKey("version") ? string("version", options.get("version")) : "latest";
        return new ImageSourceValue(new AzureBuilderSpec.GalleryImage(
                azureName("resourceGroup", AzureNames.Kind.RESOURCE_GROUP, rg),
                azureName("galleryImage", AzureNames.Kind.GALLERY, gallery),
                azureName("galleryImage", AzureNames.Kind.GALLERY_IMAGE, definition), version,
                options.containsKey("subscription") ? subscriptionId("galleryImage", options.get("subscription"))
                        : null));
    }

    /**
     * A subscription id given to {@code keyword}: one path segment (Azure's are GUIDs). An empty one (an unset
     * variable) means the build's subscription, as in Packer; null then.
     */
    private String subscriptionId(String keyword, Object value) {
        String id = string("subscription", value);
        if (id.isEmpty()) {
            return null;
        }
        if (!id.matches("[A-Za-z0-9-]+")) {
            throw new TemplateError("`" + keyword + "` subscription is a subscription id like "
                    + "'00000000-0000-0000-0000-000000000000'; got '" + id + "'");
        }
        return id;
    }

    private static final Pattern COMMUNITY_ID = Pattern.compile(
            "/CommunityGalleries/[^/\\s]+/Images/[^/\\s]+/Versions/(latest|\\d+\\.\\d+\\.\\d+)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern SHARED_ID = Pattern.compile(
            "/SharedGalleries/[^/\\s]+/Images/[^/\\s]+/Versions/(latest|\\d+\\.\\d+\\.\\d+)",
            Pattern.CASE_INSENSITIVE);

    /**
     * A version of a gallery shared to the community (a community gallery):
     * {@code source communityGalleryImage('/CommunityGalleries/NAME/Images/IMAGE/Versions/1.0.0')}. The version may be
     * {@code latest}: Azure picks the newest when the VM is created, and the build records which. Packer's
     * {@code shared_image_gallery.community_gallery_image_id}.
     */
    public Object communityGalleryImage(Object id) {
        String text = string("communityGalleryImage", id);
        if (!COMMUNITY_ID.matcher(text).matches()) {
            throw new TemplateError("`communityGalleryImage` takes a community gallery image version's id, "
                    + "/CommunityGalleries/NAME/Images/IMAGE/Versions/VERSION (VERSION like '1.0.0', or 'latest'); got '"
                    + text + "'");
        }
        return new ImageSourceValue(new AzureBuilderSpec.CommunityGalleryImage(text));
    }

    /**
     * A version of a gallery shared directly with the build's subscription or tenant (a direct shared gallery):
     * {@code source sharedGalleryImage('/SharedGalleries/UNIQUE-NAME/Images/IMAGE/Versions/1.0.0')}. The version
     * may be {@code latest}. Packer's {@code shared_image_gallery.direct_shared_gallery_image_id}.
     */
    public Object sharedGalleryImage(Object id) {
        String text = string("sharedGalleryImage", id);
        if (!SHARED_ID.matcher(text).matches()) {
            throw new TemplateError("`sharedGalleryImage` takes a directly shared gallery image version's id, "
                    + "/SharedGalleries/UNIQUE-NAME/Images/IMAGE/Versions/VERSION (VERSION like '1.0.0', or 'latest'); "
                    + "got '" + text + "'");
        }
        return new ImageSourceValue(new AzureBuilderSpec.SharedGalleryImage(text));
    }

    /** The marketplace purchase plan some images need: {@code purchasePlan name: ..., product: ..., publisher: ...}. */
    public void purchasePlan(Map<?, ?> options) {
        options("purchasePlan", options, Set.of("name", "product", "publisher"));
        purchasePlan = new PurchasePlan(string("name", options.get("name")), string("product", options.get("product")),
                string("publisher", options.get("publisher")));
    }

    // ---- the build machine -------------------------------------------------------------------------------------

    /** The Azure region of the build VM, for example {@code 'westeurope'}. */
    public void location(Object region) {
        location = string("location", region);
        if (location.isBlank()) {
            throw new TemplateError("`location` is empty (an unset environment variable?); give a region, for "
                    + "example location 'westeurope'");
        }
    }

    /** The build VM's size (default {@code Standard_D2s_v5}). */
    public void vmSize(Object size) {
        vmSize = string("vmSize", size);
    }

    /** {@code 'linux'} (default) or {@code 'windows'}. */
    public void osType(Object type) {
        String t = string("osType", type);
        if (t.equals("windows")) {
            throw new TemplateError("`osType` 'windows' is not supported yet: imagebake builds Linux images (a "
                    + "Windows build would need WinRM and sysprep, which it does not have)");
        }
        if (!t.equals("linux")) {
            throw new TemplateError("`osType` is 'linux'; got '" + t + "'");
        }
        osType = t;
    }

    /** The OS disk: {@code osDisk sizeGb: 64, type: 'Premium_LRS'}. */
    public void osDisk(Map<?, ?> options) {
        options("osDisk", options, Set.of("sizeGb", "type"));
        if (options.containsKey("sizeGb")) {
            osDiskSizeGb = integer("sizeGb", options.get("sizeGb"), 1, 4095);
        }
        if (options.containsKey("type")) {
            osDiskType = storageType("osDisk", "type", options.get("type"), OS_DISK_TYPES);
            checkImageStorageType();
        }
    }

    /**
     * Keeps the build VM's OS disk after the build (default false) instead of deleting it with the VM, and names it
     * in the build's result ({@code keptOsDiskId}). Needs {@code buildResourceGroup}: the disk stays there, since a
     * temporary resource group is deleted with everything in it (in Packer too, where {@code keep_os_disk} only
     * keeps the disk in a build resource group). Packer's {@code keep_os_disk}.
     */
    public void keepOsDisk(Object enabled) {
        keepOsDisk = bool("keepOsDisk", enabled);
    }

    /**
     * The step cache: {@code cache true} snapshots the build VM's OS disk after each provisioning step, and a later
     * build with the same source and the same first steps starts from the newest matching snapshot, running only the
     * steps after it. {@code cache ttl: '7d', resourceGroup: 'imagebake-cache'} sets how long a snapshot is kept
     * (default 7 days) and the resource group that holds them (default {@code imagebake-cache}, made when missing).
     * {@code cache false} (the default) turns it off.
     */
    public void cache(Object enabled) {
        cache = bool("cache", enabled) ? AzureBuilderSpec.StepCache.DEFAULT : null;
    }

    /** {@code cache ttl: '3d', resourceGroup: 'bake-cache'}: the step cache, on, with these settings. */
    public void cache(Map<?, ?> options) {
        options("cache", options, Set.of("ttl", "resourceGroup"));
        Duration ttl = options.containsKey("ttl") ? positive("cache ttl", options.get("ttl"))
                : AzureBuilderSpec.StepCache.DEFAULT.ttl();
        String group = options.containsKey("resourceGroup")
                ? azureName("resourceGroup", AzureNames.Kind.RESOURCE_GROUP, options.get("resourceGroup"))
                : AzureBuilderSpec.StepCache.DEFAULT_GROUP;
        cache = new AzureBuilderSpec.StepCache(ttl, group);
    }

    private static final Pattern DISK_ENCRYPTION_SET = Pattern.compile(
            "/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Compute/diskEncryptionSets/[^/]+",
            Pattern.CASE_INSENSITIVE);

    /**
     * Encrypts the build VM's OS disk and data disks with customer-managed keys through this disk encryption set:
     * {@code diskEncryptionSet '/subscriptions/.../resourceGroups/keys/providers/Microsoft.Compute/
     * diskEncryptionSets/NAME'}. The set must exist in the build's region. Packer's {@code disk_encryption_set_id}.
     */
    public void diskEncryptionSet(Object id) {
        String text = string("diskEncryptionSet", id);
        if (!DISK_ENCRYPTION_SET.matcher(text).matches()) {
            throw new TemplateError("`diskEncryptionSet` takes a disk encryption set's resource id, /subscriptions/"
                    + "SUBSCRIPTION/resourceGroups/GROUP/providers/Microsoft.Compute/diskEncryptionSets/NAME; got '"
                    + text + "'");
        }
        diskEncryptionSetId = text;
    }

    /**
     * A managed image takes the storage type of the disk it is captured from, so the build VM's OS disk gets the
     * image's {@code storageType} (as Packer's {@code managed_image_storage_account_type} does); both given must agree.
     */
    private void checkImageStorageType() {
        if (managedImageStorageTypeGiven && osDiskType != null && !osDiskType.equals(managedImage.storageType())) {
            throw new TemplateError("`managedImage` storageType '" + managedImage.storageType()
                    + "' and `osDisk` type '" + osDiskType + "' differ: a managed image takes the storage type of the"
                    + " build VM's OS disk, so give one of them");
        }
    }

    /** Adds an empty data disk: {@code dataDisk sizeGb: 128, type: 'Premium_LRS', lun: 0}. */
    public void dataDisk(Map<?, ?> options) {
        options("dataDisk", options, Set.of("sizeGb", "type", "lun"));
        int lun = options.containsKey("lun") ? integer("lun", options.get("lun"), 0, 63) : dataDisks.size();
        for (DataDisk d : dataDisks) {
            if (d.lun() == lun) {
                throw new TemplateError("`dataDisk`: lun " + lun + " is used twice");
            }
        }
        dataDisks.add(new DataDisk(lun, integer("sizeGb", options.get("sizeGb"), 1, 32767),
                options.containsKey("type") ? storageType("dataDisk", "type", options.get("type"), DATA_DISK_TYPES)
                        : "Standard_LRS"));
    }

    /** Builds on a Spot VM at up to the on-demand price. */
    public void spot(Object enabled) {
        spot = bool("spot", enabled) ? new Spot(-1, "Delete") : null;
    }

    /** Builds on a Spot VM: {@code spot maxPrice: 0.05, eviction: 'Deallocate'}. */
    public void spot(Map<?, ?> options) {
        options("spot", options, Set.of("maxPrice", "eviction"));
        double max = -1;
        if (options.get("maxPrice") instanceof Number n) {
            max = n.doubleValue();
        } else if (options.containsKey("maxPrice")) {
            throw new TemplateError("`spot` maxPrice takes a number (-1 for the on-demand price)");
        }
        String eviction = options.containsKey("eviction") ? string("eviction", options.get("eviction")) : "Delete";
        if (!eviction.equals("Delete") && !eviction.equals("Deallocate")) {
            throw new TemplateError("`spot` eviction is 'Delete' or 'Deallocate'");
        }
        spot = new Spot(max, eviction);
    }

    /** Trusted launch (secure boot and vTPM) for the build VM. */
    public void trustedLaunch(Object enabled) {
        trustedLaunch = bool("trustedLaunch", enabled);
    }

    /** Custom data for the build VM (cloud-init); imagebake adds its own host keys to it. */
    public void customData(Object text) {
        customData = string("customData", text);
    }

    /** User data for the build VM. */
    public void userData(Object text) {
        userData = string("userData", text);
    }

    /**
     * Custom data for the build VM from a file next to the template (usually a cloud-init {@code #cloud-config}):
     * {@code customDataFile 'cloud-init.yaml'}. Packer's {@code custom_data_file}. Unlike {@code customData
     * file('...')}, the plan names the file rather than holding its text (which may carry tokens, and is often long),
     * and the file is read when the build starts; {@code validate} checks that it is there, inside the template's
     * folder (or {@code --root}), and UTF-8 text. imagebake adds its own host keys as in {@code customData}. Not with
     * {@code customData}.
     */
    public void customDataFile(Object path) {
        customDataFile = dataFile("customDataFile", path);
    }

    /**
     * User data for the build VM from a file next to the template: {@code userDataFile 'user-data.txt'}. Packer's
     * {@code user_data_file}. The plan names the file; it is read when the build starts and checked at
     * {@code validate} as {@code customDataFile} is. Not with {@code userData}.
     */
    public void userDataFile(Object path) {
        userDataFile = dataFile("userDataFile", path);
    }

    /** A file below the template's folder that the build reads: checked (there, UTF-8, at most 1 MiB) now. */
    private String dataFile(String keyword, Object path) {
        String given = string(keyword, path);
        try {
            evaluation.files().read(given);
        } catch (TemplateError e) {
            throw new TemplateError("`" + keyword + "`: " + e.getMessage());
        }
        return given;
    }

    /** User-assigned managed identities (resource ids) for the build VM. */
    public void identity(Object... ids) {
        identities.addAll(strings("identity", ids));
    }

    /** Tags for every temporary resource and the image: {@code tags team: 'web'}. */
    public void tags(Map<?, ?> values) {
        tags.putAll(stringMap("tags", values));
    }

    /** Builds in this existing resource group instead of a temporary one; only what imagebake made is deleted. */
    public void buildResourceGroup(Object name) {
        buildResourceGroup = azureName("buildResourceGroup", AzureNames.Kind.RESOURCE_GROUP, name);
    }

    /**
     * The name of the temporary resource group (default {@code imagebake-BUILD-ID}); it must not exist, and is
     * deleted with everything in it when the build ends. Packer's {@code temp_resource_group_name}.
     */
    public void tempResourceGroupName(Object name) {
        tempResourceGroupName = azureName("tempResourceGroupName", AzureNames.Kind.RESOURCE_GROUP, name);
    }

    /**
     * The name (and host name) of the build VM (default {@code ib-BUILD-ID-vm}). Packer's {@code temp_compute_name}.
     */
    public void tempComputeName(Object name) {
        tempComputeName = azureName("tempComputeName", AzureNames.Kind.VIRTUAL_MACHINE, name);
        if (!tempComputeName.matches("[A-Za-z0-9-]+") || tempComputeName.startsWith("-")) {
            throw new TemplateError("`tempComputeName`: '" + tempComputeName + "' is also the VM's host name, which "
                    + "Azure allows only ASCII letters, digits and '-' in, not starting with '-'");
        }
    }

    /**
     * Uses an existing network: {@code network resourceGroup: 'net', virtualNetwork: 'vnet', subnet: 'build',
     * privateIp: true}. Without it, a temporary network is created.
     */
    public void network(Map<?, ?> options) {
        options("network", options, Set.of("resourceGroup", "virtualNetwork", "subnet", "privateIp"));
        for (String required : List.of("resourceGroup", "virtualNetwork", "subnet")) {
            if (!options.containsKey(required)) {
                throw new TemplateError("`network` needs " + required + ": '...'");
            }
        }
        azureName("network", AzureNames.Kind.RESOURCE_GROUP, options.get("resourceGroup"));
        azureName("network", AzureNames.Kind.VIRTUAL_NETWORK, options.get("virtualNetwork"));
        azureName("network", AzureNames.Kind.SUBNET, options.get("subnet"));
        network = new LinkedHashMap<>();
        options.forEach((k, v) -> network.put(String.valueOf(k), v));
    }

    /** Address ranges allowed to reach the temporary VM's SSH port (default: this host's public address). */
    public void allowSshFrom(Object... cidrs) {
        for (String cidr : strings("allowSshFrom", cidrs)) {
            if (!cidr.matches("[0-9a-fA-F:.]+(/\\d{1,3})?")) {
                throw new TemplateError("`allowSshFrom` takes addresses or CIDR ranges; got '" + cidr + "'");
            }
            allowedSshFrom.add(cidr);
        }
    }

    /** The admin user created on the build VM (default {@code imagebake}). */
    public void sshUser(Object user) {
        sshUser = string("sshUser", user);
    }

    /**
     * Logs in to the build VM with your own private key instead of a key made for the build: the VM's admin user gets
     * its public half. Packer's {@code ssh_private_key_file}. The path is relative to the template's folder (and stays
     * inside it, or inside the {@code --root} folder), or absolute, or starts with {@code ~/}: it is your key, for
     * example {@code sshPrivateKeyFile '~/.ssh/id_ed25519'}, so it may live outside the template's folder. The key is
     * read here (to check it) and again when the build starts; it never leaves this host (only its public key goes to
     * Azure), is never copied to a file, and is masked in all output. The plan holds the path, never the key. A key
     * with a passphrase is refused: imagebake cannot ask for the passphrase.
     */
    public void sshPrivateKeyFile(Object path) {
        String given = string("sshPrivateKeyFile", path);
        String text;
        if (given.startsWith("/") || given.startsWith("~/")) {
            java.nio.file.Path file = given.startsWith("~/")
                    ? java.nio.file.Path.of(System.getProperty("user.home"), given.substring(2)) : java.nio.file.Path.of(given);
            try {
                if (java.nio.file.Files.size(file) > 1 << 20) {
                    throw new TemplateError("`sshPrivateKeyFile`: '" + given + "' is larger than 1 MiB: not a private key");
                }
                text = java.nio.file.Files.readString(file);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new TemplateError("`sshPrivateKeyFile`: no file '" + given + "'");
            } catch (java.io.IOException e) {
                throw new TemplateError("`sshPrivateKeyFile`: cannot read '" + given + "': "
                        + dev.imagebake.util.IoErrors.reason(e));
            }
        } else {
            try {
                text = evaluation.files().read(given);
            } catch (TemplateError e) {
                throw new TemplateError("`sshPrivateKeyFile`: " + e.getMessage());
            }
        }
        if (dev.imagebake.util.PrivateKeys.encrypted(text)) {
            throw new TemplateError("`sshPrivateKeyFile`: the private key '" + given + "' is encrypted (it has a "
                    + "passphrase), and imagebake cannot ask for it: use a copy without a passphrase (cp " + given
                    + " COPY && ssh-keygen -p -N '' -f COPY) and name the copy");
        }
        try {
            dev.imagebake.communicator.SshCommunicator.publicKeyLine(text, null);
        } catch (java.io.IOException | RuntimeException e) {
            throw new TemplateError("`sshPrivateKeyFile`: '" + given + "' is " + (text.contains("PRIVATE KEY")
                    ? "a private key imagebake cannot read" : "not an SSH private key")
                    + "; give an OpenSSH (ssh-keygen), PEM or PKCS#8 private key file, not the .pub file");
        }
        sshPrivateKeyFile = given;
    }

    /** How long to wait for SSH on the build VM (default 20m). */
    public void sshTimeout(Object value) {
        sshTimeout = duration("sshTimeout", value);
    }

    /**
     * How long the build VM may send nothing before the SSH connection is taken as dead and the step fails, naming
     * this setting: for a VM that stops answering without closing the connection (hung, or its network gone), which
     * would otherwise leave the build waiting. imagebake asks the VM to answer every third of this time, so a live VM
     * running a long, quiet command never trips it. Packer's {@code ssh_read_write_timeout}. Default {@code '0s'}:
     * no limit. At least {@code '5s'} otherwise.
     */
    public void sshReadWriteTimeout(Object value) {
        sshReadWriteTimeout = readWriteTimeout("sshReadWriteTimeout", value);
    }

    /** How long one Azure operation (creating the VM, capturing the image...) may take (default 15m). */
    public void operationTimeout(Object value) {
        operationTimeout = positive("operationTimeout", value);
    }

    /** How long publishing the gallery image version, replication included, may take (default 1h). */
    public void galleryTimeout(Object value) {
        galleryTimeout = positive("galleryTimeout", value);
    }

    private Duration positive(String keyword, Object value) {
        Duration d = duration(keyword, value);
        if (d.isZero()) {
            throw new TemplateError("`" + keyword + "` must be longer than 0s");
        }
        return d;
    }

    /** Runs {@code waagent -force -deprovision+user} last (default true). */
    public void deprovision(Object enabled) {
        deprovision = bool("deprovision", enabled);
    }

    // ---- where the image goes ----------------------------------------------------------------------------------

    /** Captures a managed image: {@code managedImage 'web', resourceGroup: 'images'}. */
    public void managedImage(Map<?, ?> options, Object imageName) {
        options("managedImage", options, Set.of("resourceGroup", "storageType", "zoneResilient"));
        if (!options.containsKey("resourceGroup")) {
            throw new TemplateError("`managedImage` needs resourceGroup: '...'");
        }
        managedImage = new ManagedImageDestination(azureName("managedImage", AzureNames.Kind.MANAGED_IMAGE, imageName),
                azureName("managedImage", AzureNames.Kind.RESOURCE_GROUP, options.get("resourceGroup")),
                options.containsKey("storageType")
                        ? storageType("managedImage", "storageType", options.get("storageType"), OS_DISK_TYPES)
                        : "Standard_LRS",
                options.containsKey("zoneResilient") && bool("zoneResilient", options.get("zoneResilient")));
        managedImageStorageTypeGiven = options.containsKey("storageType");
        checkImageStorageType();
    }

    /**
     * Publishes a gallery image version: {@code gallery 'corp', image: 'web', version: '1.4.0',
     * regions: [westeurope: 1, northeurope: 2]}. Options: resourceGroup (default: the managed image's),
     * storageType, shallow, excludeFromLatest, endOfLife ('yyyy-MM-dd'), subscription (the gallery's, when it is
     * not the build's: the version is published there from the image captured in the build's subscription;
     * Packer's {@code shared_image_gallery_destination.subscription}).
     */
    public void gallery(Map<?, ?> options, Object galleryName) {
        options("gallery", options, Set.of("image", "version", "regions", "resourceGroup", "storageType", "shallow",
                "excludeFromLatest", "endOfLife", "subscription"));
        for (String required : List.of("image", "version")) {
            if (!options.containsKey(required)) {
                throw new TemplateError("`gallery` needs " + required + ": '...'");
            }
        }
        String version = string("version", options.get("version"));
        if (!VERSION.matcher(version).matches()) {
            throw new TemplateError("a gallery image version is MAJOR.MINOR.PATCH, like '1.4.0'; got '" + version
                    + "'");
        }
        Map<String, Integer> regions = new LinkedHashMap<>();
        Object given = options.get("regions");
        if (given instanceof Map<?, ?> map) {
            map.forEach((region, replicas) -> regions.put(evaluation.text(region),
                    integer("regions", replicas, 1, 100)));
        } else if (given instanceof Collection<?> list) {
            for (Object region : list) {
                regions.put(string("regions", region), 1);
            }
        } else if (given != null) {
            throw new TemplateError("`gallery` regions takes [region: replicas, ...] or ['region', ...]");
        }
        String endOfLife = null;
        if (options.containsKey("endOfLife")) {
            endOfLife = string("endOfLife", options.get("endOfLife"));
            try {
                LocalDate.parse(endOfLife);
            } catch (DateTimeParseException e) {
                throw new TemplateError("`gallery` endOfLife is a date like '2027-12-31'; got '" + endOfLife + "'");
            }
        }
        gallery = new GalleryDestination(azureName("gallery", AzureNames.Kind.GALLERY, galleryName),
                options.containsKey("resourceGroup")
                        ? azureName("gallery", AzureNames.Kind.RESOURCE_GROUP, options.get("resourceGroup")) : null,
                azureName("gallery", AzureNames.Kind.GALLERY_IMAGE, options.get("image")),
                azureName("gallery", AzureNames.Kind.GALLERY_IMAGE_VERSION, version), regions,
                options.containsKey("storageType") ? storageType("gallery", "storageType", options.get("storageType"),
                        GALLERY_STORAGE_TYPES)
                        : "Standard_LRS",
                options.containsKey("shallow") && bool("shallow", options.get("shallow")),
                options.containsKey("excludeFromLatest") && bool("excludeFromLatest", options.get("excludeFromLatest")),
                endOfLife, null,
                options.containsKey("subscription") ? subscriptionId("gallery", options.get("subscription")) : null);
    }

    private String storageType(String keyword, String option, Object value, Set<String> allowed) {
        String type = string(option, value);
        if (!allowed.contains(type)) {
            throw new TemplateError("`" + keyword + "` " + option + " '" + type + "' is not a storage type "
                    + (allowed == GALLERY_STORAGE_TYPES ? "for a gallery image version."
                    : allowed == DATA_DISK_TYPES ? "for a data disk." : "for an OS disk.")
                    + Suggestions.didYouMean(type, allowed) + " Storage types: "
                    + String.join(", ", allowed.stream().sorted().toList()));
        }
        return type;
    }

    @Override
    Evaluation.BuilderDeclaration build() {
        if (location == null && buildResourceGroup == null && !refused("location")) {
            errorAtBlock(blockName() + " needs `location`, for example location 'westeurope' (or a "
                    + "`buildResourceGroup`, whose location the build then takes)");
        }
        if (source == null && !refused("source")) {
            errorAtBlock(blockName() + " needs `source`, for example source marketplace('Canonical', "
                    + "'0001-com-ubuntu-server-jammy', '22_04-lts-gen2')");
        }
        if (managedImage == null && gallery == null && !refused("managedImage", "gallery")) {
            errorAtBlock(blockName() + " needs a destination: `managedImage` and/or `gallery`");
        }
        if (customData != null && customDataFile != null) {
            errorAtBlock(blockName() + ": use either `customData` or `customDataFile`, not both");
        }
        if (userData != null && userDataFile != null) {
            errorAtBlock(blockName() + ": use either `userData` or `userDataFile`, not both");
        }
        if (tempResourceGroupName != null && buildResourceGroup != null) {
            errorAtBlock(blockName() + ": use either `buildResourceGroup` (an existing group, kept) or "
                    + "`tempResourceGroupName` (a new group, deleted at the end), not both");
        }
        if (cache != null && !dataDisks.isEmpty()) {
            errorAtBlock(blockName() + ": `cache` snapshots the OS disk only, and this build has data disks, whose "
                    + "content a cached machine would not have: remove `cache` or the data disks");
        }
        if (keepOsDisk && buildResourceGroup == null) {
            errorAtBlock(blockName() + ": `keepOsDisk` needs `buildResourceGroup`, where the disk stays: a temporary "
                    + "resource group is deleted with everything in it");
        }
        int proofs = (clientSecret != null ? 1 : 0) + (clientCertificate != null ? 1 : 0) + (clientJwt != null ? 1 : 0)
                + (oidc != null ? 1 : 0);
        if (clientId != null && proofs == 0 && !refused("clientSecret", "clientCertificate", "clientJwt", "oidc")) {
            errorAtBlock(blockName() + ": `clientId` needs `clientSecret`, `clientCertificate`, `clientJwt` or "
                    + "`oidc 'github'`");
        }
        if ((clientSecret != null || clientCertificate != null) && clientId == null) {
            errorAtBlock(blockName() + ": a client secret or certificate needs `clientId`");
        }
        if ((clientJwt != null || oidc != null) && clientId == null) {
            errorAtBlock(blockName() + ": " + (clientJwt != null ? "`clientJwt`" : "`oidc`") + " needs `clientId`, "
                    + "the application whose federated identity credential trusts the token");
        }
        if (proofs > 1) {
            errorAtBlock(blockName() + ": give one of `clientSecret`, `clientCertificate`, `clientJwt` and `oidc`, "
                    + "not several");
        }
        GalleryDestination galleryDestination = gallery;
        if (gallery != null) {
            String rg = gallery.resourceGroup() != null ? gallery.resourceGroup()
                    : managedImage != null ? managedImage.resourceGroup() : null;
            if (rg == null) {
                errorAtBlock(blockName() + ": `gallery` needs resourceGroup: '...' (or a managedImage to share it)");
            } else if (gallery.resourceGroup() == null && gallery.subscription() != null) {
                errorAtBlock(blockName() + ": `gallery` in subscription " + gallery.subscription() + " needs its own "
                        + "resourceGroup: '...' (the managed image's is in the build's subscription)");
            }
            Map<String, Integer> regions = new LinkedHashMap<>(gallery.regions());
            String added = null;
            if (location != null && regions.keySet().stream().noneMatch(r -> sameRegion(r, location))) {
                // The version is made in the build's region: Azure refuses target regions without it, after the
                // whole bake. Packer adds it silently; the plan shows it as added.
                regions.put(location, 1);
                added = gallery.regions().isEmpty() ? null : location;
            }
            galleryDestination = new GalleryDestination(gallery.gallery(), rg, gallery.image(), gallery.version(),
                    regions, gallery.storageType(), gallery.shallowReplication(), gallery.excludeFromLatest(),
                    gallery.endOfLifeDate(), added, gallery.subscription());
        }
        Network net = null;
        if (network != null) {
            net = new Network(evaluation.text(network.get("resourceGroup")),
                    evaluation.text(network.get("virtualNetwork")), evaluation.text(network.get("subnet")),
                    Boolean.TRUE.equals(network.get("privateIp")), allowedSshFrom);
        } else if (!allowedSshFrom.isEmpty()) {
            net = new Network(null, null, null, false, allowedSshFrom);
        }
        // The image is captured from the OS disk: the disk's type is the image's, whichever of the two was given.
        String diskType = osDiskType;
        ManagedImageDestination imageDestination = managedImage;
        if (managedImage != null && diskType == null) {
            diskType = managedImage.storageType();
        } else if (managedImage != null && !managedImageStorageTypeGiven) {
            imageDestination = new ManagedImageDestination(managedImage.name(), managedImage.resourceGroup(),
                    diskType, managedImage.zoneResilient());
        }
        AzureBuilderSpec spec = new AzureBuilderSpec(
                new AzureBuilderSpec.Auth(cloud, subscription, tenant, clientId, clientSecret, clientCertificate,
                        clientJwt, oidc),
                source, purchasePlan, location, vmSize, osType, osDiskSizeGb, diskType, dataDisks, spot,
                trustedLaunch, customData, userData, identities, tags, buildResourceGroup, tempResourceGroupName,
                tempComputeName, net, sshUser, sshTimeout,
                operationTimeout, galleryTimeout, deprovision, imageDestination, galleryDestination,
                sshPrivateKeyFile, sshReadWriteTimeout, customDataFile, userDataFile, keepOsDisk, diskEncryptionSetId,
                cache);
        return new Evaluation.BuilderDeclaration(name, spec, declaredAt);
    }

    /** Whether two region names are the same region ({@code West Europe} and {@code westeurope} are). */
    static boolean sameRegion(String a, String b) {
        return a.replace(" ", "").equalsIgnoreCase(b.replace(" ", ""));
    }

    /** What {@code marketplace(...)}, {@code image(...)} and {@code galleryImage(...)} return. */
    record ImageSourceValue(ImageSource source) implements dev.imagebake.dsl.sandbox.TemplateValue {
        @Override
        public Object templateProperty(String property) {
            throw new TemplateError("an image source has no properties to read; pass it to `source`");
        }
    }
}
