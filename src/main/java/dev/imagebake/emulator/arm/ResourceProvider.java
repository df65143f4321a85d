package dev.imagebake.emulator.arm;

import dev.imagebake.emulator.http.Response;

/**
 * One family of ARM resources (subscriptions, resource groups; later compute, network, galleries). The gateway
 * has already checked the token, the api-version and the subscription; a provider owns the paths it accepts.
 */
public interface ResourceProvider {
    boolean accepts(ArmPath path);

    Response handle(ArmRequest request) throws ArmException;
}
