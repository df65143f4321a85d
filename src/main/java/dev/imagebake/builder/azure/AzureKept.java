package dev.imagebake.builder.azure;

import com.azure.resourcemanager.compute.fluent.models.VirtualMachineUpdateInner;
import com.azure.resourcemanager.resources.models.ResourceGroupPatchable;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.KeptResources;
import dev.imagebake.engine.ResumeRecord;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an azure build kept by {@code --on-error=abort} holds for {@code build --resume}: the temporary resource group
 * (or, in a {@code buildResourceGroup}, the VM and what the build made for it), tagged as held until the resume
 * record's lease ends so that {@code gc} leaves it alone; and the notes a later run needs to adopt it.
 */
final class AzureKept implements KeptResources {
    /** Tag: until when the build's resources are held for a resume; {@code gc} leaves them alone until then. */
    static final String TAG_HELD_UNTIL = "imagebake-resume-until";
    /** Tag: the resume record that holds them (on the host that ran the build). */
    static final String TAG_HELD_RECORD = "imagebake-resume-record";

    private final AzureBuild build;
    /** The key copy the run that kept the build before this one left, or null on a first run. */
    private final Path previousKeyFile;

    AzureKept(AzureBuild build, Path previousKeyFile) {
        this.build = build;
        this.previousKeyFile = previousKeyFile;
    }

    @Override
    public ResumeRecord.Held hold(BuildContext context, Instant until, Path record, Path keyFile) throws Exception {
        Map<String, String> held = new LinkedHashMap<>();
        held.put(TAG_HELD_UNTIL, until.toString());
        if (record != null && record.toString().length() <= 256) { // Azure's limit for a tag's value
            held.put(TAG_HELD_RECORD, record.toString());
        }
        String what;
        if (build.temporaryGroup) {
            var groups = build.clients.resources().getResourceGroups();
            Map<String, String> tags = new LinkedHashMap<>(tagsOr(groups.get(build.resourceGroup).tags()));
            tags.putAll(held);
            groups.update(build.resourceGroup, new ResourceGroupPatchable().withTags(tags));
            what = "resource group " + build.resourceGroup;
        } else {
            // gc holds every resource of a build whose VM carries the tag.
            var vms = build.clients.compute().getVirtualMachines();
            Map<String, String> tags = new LinkedHashMap<>(tagsOr(vms.getByResourceGroup(build.resourceGroup,
                    build.vmName()).tags()));
            tags.putAll(held);
            Lro.await(context::cleanupSkipped, "tagging VM " + build.vmName() + " as held for a resume",
                    build.operationLimit(), () -> vms.beginUpdate(build.resourceGroup, build.vmName(),
                            new VirtualMachineUpdateInner().withTags(tags)), null);
            what = "VM " + build.vmName();
        }
        context.info("holding " + what + " for build --resume until " + until + " (gc leaves it alone until then)");
        if (previousKeyFile != null && keyFile != null
                && !previousKeyFile.toAbsolutePath().getParent().equals(keyFile.toAbsolutePath().getParent())) {
            removeKeyFolder(context, build, previousKeyFile); // superseded by the copy just written
        }
        return new ResumeRecord.Held(resources(), details(until, keyFile));
    }

    private static Map<String, String> tagsOr(Map<String, String> tags) {
        return tags == null ? Map.of() : tags;
    }

    /** What a resume deletes when it finishes, in an order that deletes each before what it depends on. */
    private List<String> resources() {
        List<String> ids = new ArrayList<>();
        if (build.temporaryGroup) {
            ids.add(build.subscriptionPath() + "/resourceGroups/" + build.resourceGroup);
            return ids;
        }
        ids.add(build.vmId);
        if (build.osDiskId != null && !build.spec.keepOsDisk()) {
            ids.add(build.osDiskId);
        }
        ids.add(build.nicId);
        if (build.publicIpId != null) {
            ids.add(build.publicIpId);
        }
        ids.add(build.resourceId("Microsoft.Network", "networkSecurityGroups", build.name("nsg")));
        if (build.spec.network() == null || build.spec.network().virtualNetwork() == null) {
            ids.add(build.resourceId("Microsoft.Network", "virtualNetworks", build.name("vnet")));
        }
        return ids;
    }

    private Map<String, String> details(Instant until, Path keyFile) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("buildId", build.id);
        d.put("subscription", build.clients.cloud().subscription());
        d.put("resourceGroup", build.resourceGroup);
        d.put("temporaryGroup", Boolean.toString(build.temporaryGroup));
        d.put("vmName", build.vmName());
        d.put("vmId", build.vmId);
        put(d, "location", build.location);
        put(d, "nicId", build.nicId);
        put(d, "publicIpId", build.publicIpId);
        put(d, "subnetId", build.subnetId);
        put(d, "osDiskId", build.osDiskId);
        put(d, "source", build.sourceDescription);
        put(d, "sourceExactVersion", build.sourceExactVersion);
        if (keyFile != null) {
            d.put("keyFile", keyFile.toAbsolutePath().toString());
        }
        d.put("heldUntil", until.toString());
        return d;
    }

    private static void put(Map<String, String> details, String key, String value) {
        if (value != null) {
            details.put(key, value);
        }
    }

    /**
     * Removes every folder {@code --on-error=abort} kept for this build (key copies, known_hosts files): all of
     * {@code imagebake-kept-<build id>-*} directly in the temporary folder, owned by this user, never a link.
     */
    static void removeKeyFolders(BuildContext context, AzureBuild build) {
        for (Path folder : Leftovers.keptFolders(Path.of(System.getProperty("java.io.tmpdir"),
                AzureBuild.keptFolderPrefix(build.id) + "*").toString())) {
            removeKeyFolder(context, build, folder.resolve("id"));
        }
    }

    /**
     * Removes the folder {@code --on-error=abort} kept a copy of the machine's key in: only a folder directly in the
     * temporary folder, named for this build, owned by this user, never a link.
     */
    static void removeKeyFolder(BuildContext context, AzureBuild build, Path keyFile) {
        Path folder = keyFile.toAbsolutePath().getParent();
        if (folder == null || !folder.getFileName().toString().startsWith(AzureBuild.keptFolderPrefix(build.id))
                || !Leftovers.keptFolders(Path.of(System.getProperty("java.io.tmpdir"),
                AzureBuild.keptFolderPrefix(build.id) + "*").toString()).contains(folder)) {
            return;
        }
        try (var files = Files.walk(folder)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            context.warn("could not delete the kept key copy's folder " + folder + ": " + e.getMessage());
            return;
        }
        if (!Files.exists(folder, LinkOption.NOFOLLOW_LINKS)) {
            context.info("deleted the kept key copy's folder " + folder);
        }
    }
}
