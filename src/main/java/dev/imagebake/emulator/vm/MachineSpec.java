package dev.imagebake.emulator.vm;

import java.util.List;

/**
 * One machine as the runtime needs to know it.
 *
 * @param key            stable identity of the machine (the VM's {@code vmId}); names its folder
 * @param computerName   host name inside the machine (for a specialized disk, only when the disk names none)
 * @param layers         image layers below the machine's own layer, topmost first; empty for the marketplace image
 * @param adminUser      {@code osProfile.adminUsername}
 * @param authorizedKeys the admin user's SSH public keys, one OpenSSH line each
 * @param customData     cloud-config text from {@code customData} or {@code userData} (decoded), or {@code null}
 * @param address        the loopback address to keep (after an emulator restart), or {@code null} to pick one
 * @param specialized    the machine boots from an existing OS disk ({@code createOption: Attach}): as on Azure it is
 *                       not provisioned, and keeps the disk's host keys, users and host name
 */
public record MachineSpec(String key, String computerName, List<String> layers, String adminUser,
                          List<String> authorizedKeys, String customData, String address, boolean specialized) {
    public MachineSpec {
        layers = List.copyOf(layers);
        authorizedKeys = List.copyOf(authorizedKeys);
    }

    /** A machine made from an image: provisioned at its first boot. */
    public MachineSpec(String key, String computerName, List<String> layers, String adminUser,
                       List<String> authorizedKeys, String customData, String address) {
        this(key, computerName, layers, adminUser, authorizedKeys, customData, address, false);
    }
}
