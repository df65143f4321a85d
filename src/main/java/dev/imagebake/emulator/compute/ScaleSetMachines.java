package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.vm.MachineSpec;
import dev.imagebake.emulator.vm.SshEndpoint;
import dev.imagebake.emulator.vm.VmRuntime;
import dev.imagebake.emulator.vm.VmRuntimeException;

import static dev.imagebake.emulator.arm.ProviderSupport.map;

import java.util.List;
import java.util.Map;

/**
 * Scale set instances as machines of the emulator's {@link VmRuntime} (the one behind its VMs): an instance's
 * machine is keyed by its {@code vmId} and built from the image its model named when it was created or last
 * reimaged. Those layers, the model's custom data and the machine's SSH endpoint stay in the instance's internal
 * state, so a restarted emulator boots the same machine on the same address; {@link ScaleSetNics} publishes the
 * endpoint. A machine that cannot boot leaves the instance a document; its {@code boot.log} says why.
 */
final class ScaleSetMachines implements ScaleSetInstances.Runtime {
    private static final String CUSTOM_DATA = "customData";
    private static final String PORT = "sshPort";

    private final VmRuntime runtime;

    ScaleSetMachines(VmRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void created(State state, Map<String, Object> scaleSet, Map<String, Object> instance) {
        remember(state, scaleSet, instance);
        boot(instance);
    }

    @Override
    public void upgraded(State state, Map<String, Object> scaleSet, Map<String, Object> instance) {
        // A reimage: the disk goes, and the machine starts over from the model's image.
        runtime.delete(key(instance));
        remember(state, scaleSet, instance);
        if (isUp(ScaleSetInstances.powerState(instance))) {
            boot(instance);
        }
    }

    @Override
    public void powerChanged(Map<String, Object> instance, String powerState) {
        if (isUp(powerState)) {
            boot(instance);
        } else {
            runtime.stop(key(instance));
        }
    }

    @Override
    public void restarted(Map<String, Object> instance) {
        try {
            runtime.restart(spec(instance));
        } catch (VmRuntimeException e) {
            // The machine stays down; its boot log says why.
        }
    }

    @Override
    public void deleted(Map<String, Object> instance) {
        runtime.delete(key(instance));
    }

    @Override
    public void resumed(Map<String, Object> instance) {
        if (isUp(ScaleSetInstances.powerState(instance))) {
            boot(instance);
        }
    }

    /** Where the instance's SSH server listens, or {@code null} when no machine ever ran for it. */
    static SshEndpoint endpoint(Map<String, Object> instance) {
        Map<String, Object> internal = map(instance.get(ScaleSetInstances.INTERNAL));
        return internal.get(VmMachines.ADDRESS) instanceof String address
                ? new SshEndpoint(address, internal.get(PORT) instanceof Number n ? n.intValue() : 22) : null;
    }

    private static boolean isUp(String powerState) {
        return powerState.equals("running") || powerState.equals("starting");
    }

    /** Keeps what the instance's machine is built from: its image's layers and the model's custom data. */
    private static void remember(State state, Map<String, Object> scaleSet, Map<String, Object> instance) {
        Map<String, Object> internal = map(instance.get(ScaleSetInstances.INTERNAL));
        internal.put(VmMachines.LAYERS, VmMachines.imageLayers(state, instance));
        Map<String, Object> profile = map(map(scaleSet.get("properties")).get("virtualMachineProfile"));
        Object data = map(profile.get("osProfile")).get(CUSTOM_DATA) instanceof String c ? c : profile.get("userData");
        if (data instanceof String d) {
            internal.put(CUSTOM_DATA, d);
        } else {
            internal.remove(CUSTOM_DATA);
        }
    }

    private void boot(Map<String, Object> instance) {
        SshEndpoint endpoint;
        try {
            endpoint = runtime.boot(spec(instance));
        } catch (VmRuntimeException e) {
            return; // The instance stays a document; the machine's boot log says what went wrong.
        }
        if (endpoint != null) {
            Map<String, Object> internal = map(instance.get(ScaleSetInstances.INTERNAL));
            internal.put(VmMachines.ADDRESS, endpoint.address());
            internal.put(PORT, endpoint.port());
        }
    }

    private static MachineSpec spec(Map<String, Object> instance) {
        Map<String, Object> osProfile = map(map(instance.get("properties")).get("osProfile"));
        Map<String, Object> internal = map(instance.get(ScaleSetInstances.INTERNAL));
        List<String> layers = VmMachines.layers(instance);
        return VmMachines.spec(key(instance), String.valueOf(osProfile.get("computerName")), osProfile,
                internal.get(CUSTOM_DATA) instanceof String c ? c : null, layers,
                internal.get(VmMachines.ADDRESS) instanceof String a ? a : null);
    }

    private static String key(Map<String, Object> instance) {
        return String.valueOf(map(instance.get("properties")).get("vmId"));
    }
}
