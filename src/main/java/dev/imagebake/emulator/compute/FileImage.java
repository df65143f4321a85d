package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.vm.VmRuntime;

import static dev.imagebake.emulator.arm.ProviderSupport.map;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A managed image "from a VHD" as the emulator reads it: {@code storageProfile.osDisk.blobUri} is a {@code file://}
 * URI (or an absolute path) naming a local folder or a tarball ({@link VmRuntime#TARBALLS}), whose content becomes
 * the image's only layer over the host's root. A real VHD cannot be read.
 */
final class FileImage {
    private static final String HOW = "The emulator imports only local files: give a file:// URI or an absolute"
            + " path naming a folder or a " + VmRuntime.TARBALLS + " file, whose content is laid over the host's"
            + " root.";

    private FileImage() {
    }

    /** The requested {@code storageProfile.osDisk.blobUri}, or {@code null}. */
    static String blobUri(Map<String, Object> properties) {
        return map(map(properties.get("storageProfile")).get("osDisk")).get("blobUri") instanceof String uri
                ? uri : null;
    }

    /** The local folder or tarball a blob URI names, which must exist; links on the way are followed. */
    static Path source(Map<String, Object> properties, String blobUri) throws ArmException {
        Object osType = map(map(properties.get("storageProfile")).get("osDisk")).get("osType");
        if (!"Linux".equalsIgnoreCase(String.valueOf(osType))) {
            throw ArmException.badRequest("InvalidParameter", "The emulator runs Linux images only:"
                    + " properties.storageProfile.osDisk.osType must be Linux, not " + osType + ".");
        }
        Path given = path(blobUri);
        Path path;
        try {
            path = given.toRealPath();
        } catch (IOException e) {
            throw ArmException.badRequest("InvalidParameter", "properties.storageProfile.osDisk.blobUri names "
                    + given + ", which does not exist on the emulator's host.");
        }
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        boolean tarball = Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)
                && VmRuntime.TARBALL_SUFFIXES.stream().anyMatch(name::endsWith);
        if (!tarball && !Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            throw ArmException.badRequest("InvalidParameter", "properties.storageProfile.osDisk.blobUri names "
                    + path + ", which is neither a folder nor a " + VmRuntime.TARBALLS + " file.");
        }
        return path;
    }

    private static Path path(String blobUri) throws ArmException {
        if (blobUri.startsWith("/")) {
            return Path.of(blobUri).normalize();
        }
        try {
            URI uri = new URI(blobUri);
            if ("file".equalsIgnoreCase(uri.getScheme())) {
                return Path.of(uri).normalize();
            }
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw ArmException.badRequest("InvalidParameter", "properties.storageProfile.osDisk.blobUri '" + blobUri
                    + "' is not a usable file URI (" + e.getMessage() + "). " + HOW);
        }
        throw ArmException.badRequest("InvalidParameter", "The emulator cannot read the VHD at '" + blobUri
                + "' (properties.storageProfile.osDisk.blobUri). " + HOW);
    }

    /** The image's storage profile, as Azure shows an image made from a blob. */
    static Map<String, Object> storageProfile(Map<String, Object> properties, String blobUri) {
        Map<String, Object> requested = map(map(properties.get("storageProfile")).get("osDisk"));
        Map<String, Object> osDisk = new LinkedHashMap<>();
        osDisk.put("osType", "Linux");
        osDisk.put("osState", requested.get("osState") instanceof String state ? state : "Generalized");
        osDisk.put("blobUri", blobUri);
        osDisk.put("caching", requested.get("caching") instanceof String caching ? caching : "ReadWrite");
        osDisk.put("storageAccountType", requested.get("storageAccountType") instanceof String type ? type
                : "Standard_LRS");
        if (requested.get("diskSizeGB") != null) {
            osDisk.put("diskSizeGB", requested.get("diskSizeGB"));
        }
        Map<String, Object> storage = new LinkedHashMap<>();
        storage.put("osDisk", osDisk);
        storage.put("dataDisks", List.of());
        storage.put("zoneResilient", Boolean.TRUE.equals(map(properties.get("storageProfile")).get("zoneResilient")));
        return storage;
    }

    static String hyperVGeneration(Map<String, Object> properties) {
        return properties.get("hyperVGeneration") instanceof String generation
                ? generation.toUpperCase(Locale.ROOT) : "V1";
    }
}
