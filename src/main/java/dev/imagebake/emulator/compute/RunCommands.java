package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.StateStore;

import static dev.imagebake.emulator.arm.ProviderSupport.answer;
import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.maps;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The action run command, {@code POST .../virtualMachines/{vm}/runCommand} and {@code POST
 * .../virtualMachineScaleSets/{vmss}/virtualMachines/{id}/runCommand}: the script (commandId {@code
 * RunShellScript}, {@code script} lines, {@code parameters} as environment variables) really runs as root in the
 * machine. As on Azure the POST answers 202 with {@code Azure-AsyncOperation} and {@code Location}; the operation
 * stays InProgress while the script runs, and its {@code Location} then answers the result, whose {@code value[0]}
 * is {@code ProvisioningState/succeeded} with the message {@code Enable succeeded: \n[stdout]\n...\n[stderr]\n...}.
 * A script that exits non-zero fails the operation with {@code VMExtensionProvisioningError}, as RunCommandLinux
 * does.
 */
final class RunCommands {
    static final String SHELL = "RunShellScript";
    private static final String KIND = "compute.runCommand";

    private final StateStore store;
    private final Operations operations;
    private final GuestCommands commands;

    RunCommands(StateStore store, Operations operations, GuestCommands commands) {
        this.store = store;
        this.operations = operations;
        this.commands = commands;
    }

    /**
     * @param id       the VM or scale set instance
     * @param location the location of the VM or scale set (where the operation is polled)
     * @param running  whether the machine document is running
     * @param notFound the error for a missing VM or instance
     */
    Response run(ArmRequest request, String id, String location, Predicate<Map<String, Object>> running,
                 ArmException notFound) throws ArmException {
        Map<String, Object> body = request.jsonBody();
        String commandId = body.get("commandId") instanceof String c ? c : "";
        if (commandId.isBlank()) {
            throw ArmException.badRequest("InvalidParameter", "Required parameter 'commandId' is missing (null).");
        }
        if (!commandId.equalsIgnoreCase(SHELL)) {
            throw ArmException.badRequest("InvalidParameter", "The command id '" + commandId + "' is not supported"
                    + " by the emulator for Linux virtual machines; use '" + SHELL + "'.");
        }
        String lines = body.get("script") instanceof List<?> given
                ? String.join("\n", given.stream().map(String::valueOf).toList()) : "";
        String script = lines;
        Map<String, String> environment = environment(body.get("parameters"));
        if (!environment.isEmpty()) {
            // As on Azure the values are also the script's positional parameters ('echo $1 $2').
            StringBuilder positional = new StringBuilder("set --");
            environment.values().forEach(v -> positional.append(" '").append(v.replace("'", "'\\''")).append("'"));
            script = positional + "\n" + script;
        }
        String toRun = script;
        Object outcome = store.write(state -> {
            Map<String, Object> machine = state.resource(id);
            if (machine == null) {
                return notFound;
            }
            if (!running.test(machine)) {
                return ArmException.conflict("Conflict", "The operation requires the VM to be running (or set to"
                        + " run).");
            }
            String key = String.valueOf(map(machine.get("properties")).get("vmId"));
            String operationId = operations.startAwaiting(state, KIND, id + "#runCommand");
            commands.start(key, toRun, environment, null, String.valueOf(machine.get("name")), done -> {
                if (done.result() != null && !done.succeeded()) {
                    operations.settle(operationId, null, GuestCommands.failure("RunCommandLinux",
                            "Microsoft.CPlat.Core", "RunCommandLinux", done));
                } else if (done.result() == null) {
                    operations.settle(operationId, null, new ArmException(409, "VMAgentStatusCommunicationError",
                            "VM '" + machine.get("name") + "' has not reported status for VM agent or extensions: "
                                    + done.notRun() + "."));
                } else {
                    operations.settle(operationId, GuestCommands.runCommandResult(done), null);
                }
            });
            return operations.asyncAccepted(request, 202, null, ComputeProvider.NAMESPACE, location, operationId,
                    true);
        });
        return answer(outcome);
    }

    /** The parameters as environment variables, checked: their names must be names a shell can export. */
    private static Map<String, String> environment(Object parameters) throws ArmException {
        Map<String, String> environment = new LinkedHashMap<>();
        for (Map<String, Object> parameter : maps(parameters)) {
            String name = String.valueOf(parameter.get("name"));
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw ArmException.badRequest("InvalidParameter", "The run command parameter name '" + name
                        + "' is not a valid environment variable name.");
            }
            environment.put(name, parameter.get("value") == null ? "" : String.valueOf(parameter.get("value")));
        }
        return environment;
    }
}
