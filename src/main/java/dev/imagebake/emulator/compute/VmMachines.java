package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.vm.ImageContentException;
import dev.imagebake.emulator.vm.MachineSpec;
import dev.imagebake.emulator.vm.SshEndpoint;
import dev.imagebake.emulator.vm.VmRuntime;
import dev.imagebake.emulator.vm.VmRuntimeException;

import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.maps;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compute provider's side of the {@link VmRuntime}: turns VM documents into machine specs, calls the runtime
 * at the VM's lifecycle points and publishes where each machine's SSH server listens: the NIC's private IP and the
 * public IP's {@code ipAddress} become the machine's loopback address, and a port other than 22 goes into the tag
 * {@value #SSH_PORT_TAG} of the VM and of its public IP.
 */
final class VmMachines {
    /** Tag naming the SSH port of an emulated VM when it is not 22. */
    static final String SSH_PORT_TAG = "imagebake-emulator-ssh-port";
    /** Internal key of a VM or image: its image layers, topmost first. */
    static final String LAYERS = "layers";
    private static final String INTERNAL = "_emulator";
    /** Internal key of a VM or scale set instance: the loopback address of its machine, kept across restarts. */
    static final String ADDRESS = "sshAddress";

    private final VmRuntime runtime;

    VmMachines(VmRuntime runtime) {
        this.runtime = runtime;
    }

    /** A new VM: its layers come from its image (none for a marketplace image); its machine starts booting. */
    void create(State state, Map<String, Object> vm, List<Map<String, Object>> nics) throws ArmException {
        map(vm.get(INTERNAL)).put(LAYERS, imageLayers(state, vm));
        publish(state, vm, nics, boot(vm));
    }

    /**
     * A new VM on an existing OS disk ({@code createOption: Attach}): its layers are the disk's content, under a new
     * layer of its own; its machine starts booting, unprovisioned.
     */
    void createFromDisk(State state, Map<String, Object> vm, List<Map<String, Object>> nics, List<String> diskLayers)
            throws ArmException {
        map(vm.get(INTERNAL)).put(LAYERS, new ArrayList<>(diskLayers));
        publish(state, vm, nics, boot(vm));
    }

    /** Power actions: powerOff and deallocate end the machine's processes; start and restart boot it. */
    void act(State state, Map<String, Object> vm, String action) throws ArmException {
        String key = key(vm);
        try {
            switch (action) {
                case "powerOff", "deallocate" -> runtime.stop(key);
                case "restart" -> runtime.restart(spec(vm));
                case "start" -> publish(state, vm, nics(state, vm), boot(vm));
                default -> {
                }
            }
        } catch (VmRuntimeException e) {
            throw failure(vm, e);
        }
    }

    /** The layers of an image captured from {@code vm}: its own disk frozen, over its image's layers. */
    List<String> capture(Map<String, Object> vm) throws ArmException {
        try {
            return runtime.capture(spec(vm));
        } catch (VmRuntimeException e) {
            throw failure(vm, e);
        }
    }

    /** The layers of {@code vm}'s OS disk as it is now: its own layer frozen (the machine keeps running). */
    List<String> snapshot(Map<String, Object> vm) throws ArmException {
        try {
            return runtime.snapshot(spec(vm));
        } catch (VmRuntimeException e) {
            throw failure(vm, e);
        }
    }

    /** The layers of an image made from a local folder or tarball: its content as one new layer. */
    List<String> importLayers(Path source) throws ArmException {
        try {
            return runtime.importLayer(source);
        } catch (ImageContentException e) {
            throw ArmException.badRequest("InvalidParameter", e.getMessage());
        } catch (VmRuntimeException e) {
            throw new ArmException(500, "VMRuntimeError", "The emulator could not import " + source + ": "
                    + e.getMessage());
        }
    }

    void delete(Map<String, Object> vm) {
        runtime.delete(key(vm));
    }

    /** Boots the machine of a VM that was running when the emulator stopped. */
    void resume(State state, Map<String, Object> vm) {
        Object power = map(vm.get(INTERNAL)).get("powerState");
        if ("running".equals(power) || "starting".equals(power)) {
            try {
                publish(state, vm, nics(state, vm), boot(vm));
            } catch (ArmException e) {
                // The VM stays a document; its boot log says what went wrong.
            }
        }
    }

    void close() {
        runtime.close();
    }

    /**
     * The layers of the image a VM or scale set instance document names in {@code storageProfile.imageReference}:
     * a managed image's or gallery version's; none for a marketplace image.
     */
    static List<String> imageLayers(State state, Map<String, Object> machine) {
        Map<String, Object> reference = map(map(map(machine.get("properties")).get("storageProfile"))
                .get("imageReference"));
        Map<String, Object> image = reference.get("id") instanceof String id ? state.resource(id) : null;
        if (image != null && String.valueOf(image.get("type")).equalsIgnoreCase(ComputeProvider.NAMESPACE
                + "/galleries/images") && reference.get("exactVersion") instanceof String exact) {
            image = state.resource(image.get("id") + "/versions/" + exact); // the version 'latest' was then
        }
        String shared = SharedGalleryProvider.sharedId(reference);
        if (shared != null && reference.get("exactVersion") instanceof String exact) {
            try {
                // The version the VM was made from, though 'latest' may have moved on since.
                image = SharedGalleryProvider.resolve(state, shared.replaceFirst("(?i)/Versions/[^/]+$",
                        "/Versions/" + exact));
            } catch (dev.imagebake.emulator.arm.ArmException e) {
                image = null; // no longer shared: the machine keeps what it has
            }
        }
        return image == null ? new ArrayList<>() : new ArrayList<>(layers(image));
    }

    static List<String> layers(Map<String, Object> document) {
        return map(document.get(INTERNAL)).get(LAYERS) instanceof List<?> list
                ? list.stream().map(String::valueOf).toList() : List.of();
    }

    private SshEndpoint boot(Map<String, Object> vm) throws ArmException {
        try {
            return runtime.boot(spec(vm));
        } catch (VmRuntimeException e) {
            throw failure(vm, e);
        }
    }

    private static ArmException failure(Map<String, Object> vm, VmRuntimeException e) {
        return new ArmException(500, "VMRuntimeError", "The emulator could not run the machine of VM '"
                + vm.get("name") + "': " + e.getMessage());
    }

    private static MachineSpec spec(Map<String, Object> vm) {
        Map<String, Object> properties = map(vm.get("properties"));
        Map<String, Object> osProfile = map(properties.get("osProfile"));
        String data = osProfile.get("customData") instanceof String c ? c
                : properties.get("userData") instanceof String u ? u : null;
        String computerName = String.valueOf(osProfile.getOrDefault("computerName", vm.get("name")));
        Map<String, Object> internal = map(vm.get(INTERNAL));
        MachineSpec spec = spec(key(vm), computerName, osProfile, data, layers(vm),
                internal.get(ADDRESS) instanceof String a ? a : null);
        return attachedOsDisk(vm) ? new MachineSpec(spec.key(), spec.computerName(), spec.layers(), spec.adminUser(),
                spec.authorizedKeys(), spec.customData(), spec.address(), true) : spec;
    }

    /** Whether the VM runs on an existing (specialized) OS disk rather than one made from an image. */
    static boolean attachedOsDisk(Map<String, Object> vm) {
        return "Attach".equalsIgnoreCase(String.valueOf(map(map(map(vm.get("properties")).get("storageProfile"))
                .get("osDisk")).get("createOption")));
    }

    /**
     * A machine from an {@code osProfile} (its admin user and SSH keys) and base64 {@code customData} or
     * {@code userData} ({@code null} for none); shared by VMs and scale set instances.
     */
    static MachineSpec spec(String key, String computerName, Map<String, Object> osProfile, String encodedData,
                            List<String> layers, String address) {
        List<String> keys = maps(map(map(osProfile.get("linuxConfiguration")).get("ssh")).get("publicKeys"))
                .stream().map(k -> String.valueOf(k.get("keyData")).strip()).toList();
        String customData = encodedData == null ? null
                : new String(Base64.getMimeDecoder().decode(encodedData), StandardCharsets.UTF_8);
        return new MachineSpec(key, computerName, layers, String.valueOf(osProfile.get("adminUsername")), keys,
                customData, address);
    }

    private static String key(Map<String, Object> vm) {
        return String.valueOf(map(vm.get("properties")).get("vmId"));
    }

    private static List<Map<String, Object>> nics(State state, Map<String, Object> vm) {
        List<Map<String, Object>> nics = new ArrayList<>();
        for (Map<String, Object> ref : maps(map(map(vm.get("properties")).get("networkProfile"))
                .get("networkInterfaces"))) {
            Map<String, Object> nic = state.resource(String.valueOf(ref.get("id")));
            if (nic != null) {
                nics.add(nic);
            }
        }
        return nics;
    }

    private static void publish(State state, Map<String, Object> vm, List<Map<String, Object>> nics,
                                SshEndpoint endpoint) {
        if (endpoint == null) {
            return;
        }
        map(vm.get(INTERNAL)).put(ADDRESS, endpoint.address());
        tagPort(vm, endpoint);
        for (Map<String, Object> nic : nics.stream().limit(1).toList()) {
            for (Map<String, Object> config : maps(map(nic.get("properties")).get("ipConfigurations")).stream()
                    .limit(1).toList()) {
                Map<String, Object> properties = map(config.get("properties"));
                properties.put("privateIPAddress", endpoint.address());
                Object pipId = map(properties.get("publicIPAddress")).get("id");
                Map<String, Object> pip = pipId instanceof String p ? state.resource(p) : null;
                if (pip != null) {
                    map(pip.get("properties")).put("ipAddress", endpoint.address());
                    tagPort(pip, endpoint);
                }
            }
        }
    }

    /** Puts the SSH port into the tag {@value #SSH_PORT_TAG} when it is not 22 (and takes it out when it is). */
    static void tagPort(Map<String, Object> document, SshEndpoint endpoint) {
        Map<String, Object> tags = document.get("tags") instanceof Map<?, ?> t ? map(t) : new LinkedHashMap<>();
        if (endpoint.port() == 22) {
            tags.remove(SSH_PORT_TAG);
        } else {
            tags.put(SSH_PORT_TAG, String.valueOf(endpoint.port()));
        }
        if (!tags.isEmpty() || document.containsKey("tags")) {
            document.put("tags", tags);
        }
    }
}
