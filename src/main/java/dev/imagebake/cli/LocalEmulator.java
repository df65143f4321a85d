package dev.imagebake.cli;

import com.azure.resourcemanager.compute.fluent.models.DiskEncryptionSetInner;
import com.azure.resourcemanager.compute.fluent.models.GalleryImageInner;
import com.azure.resourcemanager.compute.fluent.models.GalleryInner;
import com.azure.resourcemanager.compute.models.DiskEncryptionSetIdentityType;
import com.azure.resourcemanager.compute.models.EncryptionSetIdentity;
import com.azure.resourcemanager.compute.models.GalleryImageIdentifier;
import com.azure.resourcemanager.compute.models.KeyForDiskEncryptionSet;
import com.azure.resourcemanager.compute.models.HyperVGeneration;
import com.azure.resourcemanager.compute.models.OperatingSystemStateTypes;
import com.azure.resourcemanager.compute.models.OperatingSystemTypes;
import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner;
import dev.imagebake.builder.azure.AzureClients;
import dev.imagebake.builder.azure.AzureCloud;
import dev.imagebake.emulator.Emulator;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.Build;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.imagebake.plan.ScaleSetPost;
import dev.imagebake.plan.Step;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

/**
 * {@code build --emulator}: an Azure emulator in this process on a temporary folder. An emulator starts empty, so the
 * destinations the template names (the managed image's resource group, the gallery and its image definition) are
 * created first, as a platform team would have done once on a real subscription; so is the scale set a
 * {@code post scaleSet} rolls out to.
 */
final class LocalEmulator implements AutoCloseable {
    private final Path folder;
    private final boolean temporary;
    private final List<Runnable> beforeStop = new CopyOnWriteArrayList<>();
    // The folder holds the emulator's CA key and a cloud file with its client secret: it goes however the JVM ends
    // (a signal, System.exit), not only through close().
    private final Thread onExit = new Thread(this::stopOnExit, "imagebake-emulator-stop");
    private Emulator emulator;
    private boolean closed;
    /** The template's folder, where a health block's key path starts; null when there is none. */
    private Path templateFolder;

    private LocalEmulator(Path folder, boolean temporary) {
        this.folder = folder;
        this.temporary = temporary;
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /** @param data where to keep the emulator's state, or null for a temporary folder removed afterwards */
    static LocalEmulator start(PrintStream err, List<Build> builds, Path data) throws IOException {
        return start(err, builds, data, null);
    }

    /** @param templateFolder the folder of the template the builds come from: health blocks' key paths start there */
    static LocalEmulator start(PrintStream err, List<Build> builds, Path data, Path templateFolder)
            throws IOException {
        Path folder = data != null ? data : Files.createTempDirectory("imagebake-emulator-");
        LocalEmulator local = new LocalEmulator(folder, data == null);
        local.templateFolder = templateFolder;
        try {
            // Its VMs are sandboxed machines reachable over SSH: a bake really runs its steps (emulator-vms.md).
            local.started(Emulator.start(new Emulator.Settings(folder, 0, Operations.Settings.DEFAULT,
                    Emulator.Machines.SANDBOX)));
            err.println("Started a local Azure emulator at " + local.emulator.endpoint() + " (data in " + folder
                    + ")");
            local.prepareDestinations(builds, err, true);
        } catch (RuntimeException | IOException | Error e) {
            local.close();
            throw e;
        }
        return local;
    }

    private synchronized void started(Emulator emulator) {
        this.emulator = emulator;
    }

    /**
     * Runs {@code action} before the emulator stops when the JVM ends without {@link #close()} (a signal, an exit),
     * so that what runs on the emulator is cleaned up while the emulator still serves it.
     */
    void beforeStop(Runnable action) {
        beforeStop.add(action);
    }

    private void stopOnExit() {
        for (Runnable action : beforeStop) {
            try {
                action.run();
            } catch (RuntimeException e) {
                System.err.println("warning: " + e.getMessage());
            }
        }
        try {
            stop();
        } catch (IOException e) {
            System.err.println("warning: " + dev.imagebake.util.IoErrors.cannot("remove", folder, e));
        }
    }

    Path cloudFile() {
        return emulator.cloudFile();
    }

    String clientSecret() {
        return emulator.identity().clientSecret();
    }

    /**
     * Creates what the builds' azure builders publish to (resource groups, gallery and image definition), their
     * existing build resource groups (in the build's location, or westeurope) and, with
     * {@code fleets}, the scale sets their {@code post scaleSet} roll out to.
     */
    void prepareDestinations(List<Build> builds, PrintStream err, boolean fleets) throws IOException {
        AzureClients clients = null;
        for (Build build : builds) {
            if (!(build.builder() instanceof AzureBuilderSpec spec)) {
                continue;
            }
            // The other subscriptions the template names (a gallery's) join the emulator's tenant.
            for (String other : otherSubscriptions(spec)) {
                emulator.addSubscription(other);
            }
            if (clients == null) {
                clients = new AzureClients(AzureCloud.resolve(AzureBuilderSpec.Auth.DEFAULT, cloudFile(),
                        folder, Map.of()));
            }
            String location = spec.location() == null ? "westeurope" : spec.location();
            var groups = clients.resources().getResourceGroups();
            if (spec.buildResourceGroup() != null) {
                groups.createOrUpdate(spec.buildResourceGroup(), new ResourceGroupInner().withLocation(location));
            }
            if (spec.managedImage() != null) {
                groups.createOrUpdate(spec.managedImage().resourceGroup(), new ResourceGroupInner().withLocation(location));
            }
            for (Step step : fleets ? build.post() : List.<Step>of()) {
                if (step.spec() instanceof ScaleSetPost scaleSet) {
                    EmulatedFleet.ensure(clients, scaleSet, location, spec.source(), folder, templateFolder, err);
                }
            }
            if (spec.diskEncryptionSetId() != null) {
                // /subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/diskEncryptionSets/NAME
                String[] p = spec.diskEncryptionSetId().split("/");
                AzureClients keyClients = clientsFor(clients, p[2]);
                keyClients.resources().getResourceGroups().createOrUpdate(p[4],
                        new ResourceGroupInner().withLocation(location));
                keyClients.compute().getDiskEncryptionSets().createOrUpdate(p[4], p[8], new DiskEncryptionSetInner()
                        .withLocation(location).withIdentity(new EncryptionSetIdentity()
                                .withType(DiskEncryptionSetIdentityType.SYSTEM_ASSIGNED))
                        .withActiveKey(new KeyForDiskEncryptionSet().withKeyUrl(
                                "https://imagebake-emulator.vault.azure.net/keys/" + p[8] + "/1")));
            }
            AzureBuilderSpec.GalleryDestination g = spec.gallery();
            if (g != null) {
                AzureClients galleryClients = clientsFor(clients, g.subscription());
                galleryClients.resources().getResourceGroups().createOrUpdate(g.resourceGroup(),
                        new ResourceGroupInner().withLocation(location));
                var compute = galleryClients.compute();
                compute.getGalleries().createOrUpdate(g.resourceGroup(), g.gallery(),
                        new GalleryInner().withLocation(location));
                if (!definitionExists(compute, g)) {
                    compute.getGalleryImages().createOrUpdate(g.resourceGroup(), g.gallery(), g.image(),
                            new GalleryImageInner().withLocation(location).withOsType(OperatingSystemTypes.LINUX)
                                    .withOsState(OperatingSystemStateTypes.GENERALIZED)
                                    .withHyperVGeneration(generationOf(spec.source()))
                                    .withIdentifier(new GalleryImageIdentifier().withPublisher("imagebake")
                                            .withOffer(g.gallery()).withSku(g.image())));
                }
            }
        }
    }

    /** An image definition made earlier (kept emulator data) stays as it was made, as on Azure. */
    private static boolean definitionExists(com.azure.resourcemanager.compute.fluent.ComputeManagementClient compute,
                                            AzureBuilderSpec.GalleryDestination g) {
        try {
            compute.getGalleryImages().get(g.resourceGroup(), g.gallery(), g.image());
            return true;
        } catch (com.azure.core.management.exception.ManagementException e) {
            if (e.getResponse() != null && e.getResponse().getStatusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The Hyper-V generation a platform team would give the definition: that of the template's marketplace source
     * (a V1 SKU such as 20_04-lts goes into a V1 definition), else V2.
     */
    private static HyperVGeneration generationOf(AzureBuilderSpec.ImageSource source) {
        if (source instanceof AzureBuilderSpec.Marketplace m) {
            return dev.imagebake.emulator.compute.MarketplaceCatalogue.sku(m.publisher(), m.offer(), m.sku())
                    .map(sku -> HyperVGeneration.fromString(sku.hyperVGeneration())).orElse(HyperVGeneration.V2);
        }
        return HyperVGeneration.V2;
    }

    /** The clients of another subscription of the emulator's tenant; {@code clients} for null or the default. */
    private AzureClients clientsFor(AzureClients clients, String subscription) throws IOException {
        return subscription == null || subscription.equalsIgnoreCase(clients.cloud().subscription()) ? clients
                : new AzureClients(AzureCloud.resolve(new AzureBuilderSpec.Auth(AzureBuilderSpec.Auth.DEFAULT.cloud(),
                        subscription, null, null, null, null), cloudFile(), folder, Map.of()));
    }

    private static List<String> otherSubscriptions(AzureBuilderSpec spec) {
        List<String> ids = new java.util.ArrayList<>();
        if (spec.diskEncryptionSetId() != null) {
            ids.add(spec.diskEncryptionSetId().split("/")[2]);
        }
        if (spec.gallery() != null && spec.gallery().subscription() != null) {
            ids.add(spec.gallery().subscription());
        }
        if (spec.source() instanceof AzureBuilderSpec.GalleryImage g && g.subscription() != null) {
            ids.add(g.subscription());
        }
        return ids;
    }

    @Override
    public void close() throws IOException {
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // the JVM is already ending: the hook runs (or ran) stop()
        }
        stop();
    }

    /** Stops the emulator and removes a temporary folder; once, whichever thread comes first. */
    private synchronized void stop() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (emulator != null) {
                emulator.close();
            }
        } finally {
            if (temporary && Files.exists(folder)) {
                try (Stream<Path> files = Files.walk(folder)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
