package dev.imagebake.cli;

import com.azure.resourcemanager.compute.fluent.models.GalleryImageInner;
import com.azure.resourcemanager.compute.fluent.models.GalleryInner;
import com.azure.resourcemanager.compute.models.GalleryImageIdentifier;
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
import java.util.stream.Stream;

/**
 * {@code build --emulator}: an Azure emulator in this process on a temporary folder. An emulator starts empty, so the
 * destinations the template names (the managed image's resource group, the gallery and its image definition) are
 * created first, as a platform team would have done once on a real subscription; so is the scale set a
 * {@code post scaleSet} rolls out to.
 */
final class LocalEmulator implements AutoCloseable {
    private final Emulator emulator;
    private final Path folder;
    private final boolean temporary;

    private LocalEmulator(Emulator emulator, Path folder, boolean temporary) {
        this.emulator = emulator;
        this.folder = folder;
        this.temporary = temporary;
    }

    /** @param data where to keep the emulator's state, or null for a temporary folder removed afterwards */
    static LocalEmulator start(PrintStream err, List<Build> builds, Path data) throws IOException {
        Path folder = data != null ? data : Files.createTempDirectory("imagebake-emulator-");
        // Its VMs are sandboxed machines reachable over SSH: a bake really runs its steps (emulator-vms.md).
        Emulator emulator = Emulator.start(new Emulator.Settings(folder, 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX));
        LocalEmulator local = new LocalEmulator(emulator, folder, data == null);
        err.println("Started a local Azure emulator at " + emulator.endpoint() + " (data in " + folder + ")");
        try {
            local.prepareDestinations(builds, err, true);
        } catch (RuntimeException | IOException e) {
            local.close();
            throw e;
        }
        return local;
    }

    Path cloudFile() {
        return emulator.cloudFile();
    }

    String clientSecret() {
        return emulator.identity().clientSecret();
    }

    /**
     * Creates what the builds' azure builders publish to (resource groups, gallery and image definition) and, with
     * {@code fleets}, the scale sets their {@code post scaleSet} roll out to.
     */
    void prepareDestinations(List<Build> builds, PrintStream err, boolean fleets) throws IOException {
        AzureClients clients = null;
        for (Build build : builds) {
            if (!(build.builder() instanceof AzureBuilderSpec spec)) {
                continue;
            }
            if (clients == null) {
                clients = new AzureClients(AzureCloud.resolve(AzureBuilderSpec.Auth.DEFAULT, cloudFile(),
                        folder, Map.of()));
            }
            String location = spec.location() == null ? "westeurope" : spec.location();
            var groups = clients.resources().getResourceGroups();
            if (spec.managedImage() != null) {
                groups.createOrUpdate(spec.managedImage().resourceGroup(), new ResourceGroupInner().withLocation(location));
            }
            for (Step step : fleets ? build.post() : List.<Step>of()) {
                if (step.spec() instanceof ScaleSetPost scaleSet) {
                    EmulatedFleet.ensure(clients, scaleSet, location, spec.source(), folder, err);
                }
            }
            AzureBuilderSpec.GalleryDestination g = spec.gallery();
            if (g != null) {
                groups.createOrUpdate(g.resourceGroup(), new ResourceGroupInner().withLocation(location));
                var compute = clients.compute();
                compute.getGalleries().createOrUpdate(g.resourceGroup(), g.gallery(),
                        new GalleryInner().withLocation(location));
                compute.getGalleryImages().createOrUpdate(g.resourceGroup(), g.gallery(), g.image(),
                        new GalleryImageInner().withLocation(location).withOsType(OperatingSystemTypes.LINUX)
                                .withOsState(OperatingSystemStateTypes.GENERALIZED)
                                .withHyperVGeneration(HyperVGeneration.V2)
                                .withIdentifier(new GalleryImageIdentifier().withPublisher("imagebake")
                                        .withOffer(g.gallery()).withSku(g.image())));
            }
        }
    }

    @Override
    public void close() throws IOException {
        emulator.close();
        if (!temporary) {
            return;
        }
        try (Stream<Path> files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
