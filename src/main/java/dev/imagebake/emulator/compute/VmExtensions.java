package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.Operations;
import dev.imagebake.emulator.http.Response;
import dev.imagebake.emulator.state.State;
import dev.imagebake.emulator.state.StateStore;

import static dev.imagebake.emulator.arm.ProviderSupport.answer;
import static dev.imagebake.emulator.arm.ProviderSupport.deepCopy;
import static dev.imagebake.emulator.arm.ProviderSupport.map;
import static dev.imagebake.emulator.arm.ProviderSupport.methodNotAllowed;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * VM extensions, {@code .../virtualMachines/{vm}/extensions/{name}} (PUT, GET, list, DELETE, as Azure's asynchronous
 * operations), for the handlers of the {@link ExtensionCatalogue}. Their command ({@code commandToExecute}, or
 * {@code script}: base64, gzip allowed) really runs as root in the VM's machine, from
 * {@code /var/lib/waagent/custom-script/download/0} as CustomScript does; the operation ends when it does.
 * {@code fileUris} cannot be fetched by an emulator that works offline: an extension naming any fails as a download
 * failure would on Azure. Settings and protected settings are merged as the handler merges them; protected
 * settings are neither returned nor stored (a repeated PUT must give them again, as on Azure).
 *
 * <p>The extension's instance view ({@code $expand=instanceView}, and the VM's {@code instanceView.extensions})
 * reports {@code ProvisioningState/succeeded} with {@code Enable succeeded: \n[stdout]\n...\n[stderr]\n...}, and
 * the two streams again as the substatuses {@code ComponentStatus/StdOut/succeeded} and
 * {@code ComponentStatus/StdErr/succeeded}. A command that exits non-zero leaves the extension
 * {@code provisioningState: Failed} and fails the operation with {@code VMExtensionProvisioningError}.
 */
final class VmExtensions {
    static final String SEGMENT = "extensions";
    static final String TYPE = ComputeProvider.NAMESPACE + "/virtualMachines/extensions";
    private static final String INTERNAL = "_emulator";
    private static final String DELETE_KIND = "compute.extension.delete";
    private static final String PUT_KIND = "compute.extension.put";
    private static final String WORK_DIR = "/var/lib/waagent/custom-script/download/0";

    private final StateStore store;
    private final Operations operations;
    private final GuestCommands commands;

    VmExtensions(StateStore store, Operations operations, GuestCommands commands) {
        this.store = store;
        this.operations = operations;
        this.commands = commands;
        operations.register(DELETE_KIND, (state, target) -> state.removeTree(target));
    }

    /** A request on the extensions of VM {@code vmId} (which exists); {@code name} is null for the list. */
    Response handle(ArmRequest request, String vmId, String name) throws ArmException {
        boolean expand = "instanceView".equalsIgnoreCase(request.http().query().get("$expand"));
        if (name == null) {
            if (!request.method().equals("GET")) {
                throw methodNotAllowed(request);
            }
            return Response.json(200, Map.of("value", store.read(state -> state.children(vmId, SEGMENT).stream()
                    .map(e -> view(e, expand)).toList())));
        }
        String id = vmId + "/" + SEGMENT + "/" + name;
        return switch (request.method()) {
            case "GET" -> {
                Map<String, Object> json = store.read(state -> state.resource(id) == null ? null
                        : view(state.resource(id), expand));
                if (json == null) {
                    throw notFound();
                }
                yield Response.json(200, json);
            }
            case "PUT" -> put(request, vmId, id, name, request.jsonBody());
            case "DELETE" -> delete(request, id);
            default -> throw methodNotAllowed(request);
        };
    }

    private Response put(ArmRequest request, String vmId, String id, String name, Map<String, Object> body)
            throws ArmException {
        Map<String, Object> requested = map(body.get("properties"));
        String publisher = requested.get("publisher") instanceof String p ? p : "";
        String type = requested.get("type") instanceof String t ? t : "";
        String version = requested.get("typeHandlerVersion") instanceof String v ? v : "";
        boolean autoUpgrade = !Boolean.FALSE.equals(requested.get("autoUpgradeMinorVersion"));
        ExtensionCatalogue.Handler handler = ExtensionCatalogue.handler(publisher, type).orElse(null);
        String exact = handler == null ? null : handler.resolve(version, autoUpgrade).orElse(null);
        if (exact == null) {
            throw ArmException.notFound("NotFound", "Extension with publisher '" + publisher + "', type '" + type
                    + "', and type handler version '" + version + "' could not be found in the extension"
                    + " repository.");
        }
        Map<String, Object> settings = map(deepCopy(requested.get("settings")));
        // Used for this run and then dropped: protected settings never reach a reply, the state file or a log.
        Map<String, Object> secret = map(requested.get("protectedSettings"));
        String problem = problem(settings, secret);
        String script = problem == null ? command(settings, secret) : null;
        Object outcome = store.write(state -> {
            Map<String, Object> vm = state.resource(vmId);
            if (!"running".equals(map(vm.get(INTERNAL)).get("powerState"))) {
                return ArmException.conflict("OperationNotAllowed", "Cannot modify extensions in the VM when the VM"
                        + " is not running.");
            }
            Map<String, Object> existing = state.resource(id);
            String current = existing == null ? "" : String.valueOf(map(existing.get("properties"))
                    .get("provisioningState"));
            if (current.equals("Creating") || current.equals("Updating") || current.equals("Deleting")) {
                return ArmException.conflict("OperationNotAllowed", "Operation 'Update' is not allowed on extension"
                        + " '" + name + "' since another operation is in progress.");
            }
            Map<String, Object> properties = new LinkedHashMap<>();
            properties.put("autoUpgradeMinorVersion", autoUpgrade);
            if (requested.get("forceUpdateTag") instanceof String tag) {
                properties.put("forceUpdateTag", tag);
            }
            properties.put("provisioningState", existing == null ? "Creating" : "Updating");
            properties.put("publisher", handler.publisher());
            properties.put("type", handler.type());
            properties.put("typeHandlerVersion", version);
            if (requested.get("enableAutomaticUpgrade") instanceof Boolean upgrade) {
                properties.put("enableAutomaticUpgrade", upgrade);
            }
            properties.put("settings", settings);
            Map<String, Object> extension = new LinkedHashMap<>();
            extension.put("name", name);
            extension.put("id", id);
            extension.put("type", TYPE);
            extension.put("location", vm.get("location"));
            if (body.get("tags") instanceof Map<?, ?> tags) {
                extension.put("tags", new LinkedHashMap<>(tags));
            }
            extension.put("properties", properties);
            Map<String, Object> internal = new LinkedHashMap<>();
            internal.put("version", exact);
            internal.put("instanceView", instanceView(name, handler, exact, List.of(GuestCommands.status(
                    "ProvisioningState/transitioning", "Transitioning", "Enable in progress")), List.of()));
            extension.put(INTERNAL, internal);
            state.putResource(id, extension);
            String operationId = operations.startAwaiting(state, PUT_KIND, id);
            String key = String.valueOf(map(vm.get("properties")).get("vmId"));
            if (problem != null) {
                Thread done = new Thread(() -> finish(id, name, handler, exact, operationId,
                        new GuestCommands.Outcome(null, problem)), "extension-" + name);
                done.setDaemon(true);
                done.start();
            } else {
                commands.start(key, script, Map.of(), WORK_DIR, name, result -> finish(id, name, handler, exact, operationId, result));
            }
            return operations.asyncAccepted(request, existing == null ? 201 : 200, view(extension, false),
                    ComputeProvider.NAMESPACE, String.valueOf(vm.get("location")), operationId, false);
        });
        return answer(outcome);
    }

    /** Records what the handler reported, then ends the operation (so its last poll finds the extension final). */
    private void finish(String id, String name, ExtensionCatalogue.Handler handler, String exact, String operationId,
                        GuestCommands.Outcome outcome) {
        boolean ok = outcome.succeeded();
        store.write(state -> {
            Map<String, Object> extension = state.resource(id);
            if (extension != null) {
                map(extension.get("properties")).put("provisioningState", ok ? "Succeeded" : "Failed");
                String state1 = ok ? "succeeded" : "failed";
                List<Object> substatuses = outcome.result() == null ? List.of() : List.of(
                        GuestCommands.status("ComponentStatus/StdOut/" + state1, "Provisioning " + state1,
                                outcome.stdout()),
                        GuestCommands.status("ComponentStatus/StdErr/" + state1, "Provisioning " + state1,
                                outcome.stderr()));
                map(extension.get(INTERNAL)).put("instanceView", instanceView(name, handler, exact, List.of(
                        GuestCommands.status("ProvisioningState/" + state1, "Provisioning " + state1,
                                outcome.message())), substatuses));
            }
            return null;
        });
        operations.settle(operationId, null, ok ? null
                : GuestCommands.failure(name, handler.publisher(), handler.type(), outcome));
    }

    private Response delete(ArmRequest request, String id) throws ArmException {
        Object outcome = store.write(state -> {
            Map<String, Object> extension = state.resource(id);
            if (extension == null) {
                return Response.empty(204);
            }
            map(extension.get("properties")).put("provisioningState", "Deleting");
            String operationId = operations.start(state, DELETE_KIND, id);
            return operations.asyncAccepted(request, 202, null, ComputeProvider.NAMESPACE,
                    String.valueOf(extension.get("location")), operationId, true);
        });
        return answer(outcome);
    }

    /** Adds a VM's extensions to its GET reply as {@code resources}, as Azure shows them (and az lists them). */
    static void addResources(Map<String, Object> vmJson, State state, String vmId) {
        List<Object> resources = new ArrayList<>();
        for (Map<String, Object> extension : state.children(vmId, SEGMENT)) {
            resources.add(view(extension, false));
        }
        if (!resources.isEmpty()) {
            vmJson.put("resources", resources);
        }
    }

    /** Adds {@code extensions} (their instance views) to a VM's instance view, before its statuses. */
    static Map<String, Object> addTo(Map<String, Object> instanceView, State state, String vmId) {
        List<Object> views = new ArrayList<>();
        for (Map<String, Object> extension : state.children(vmId, SEGMENT)) {
            views.add(deepCopy(map(extension.get(INTERNAL)).get("instanceView")));
        }
        if (!views.isEmpty()) {
            Object statuses = instanceView.remove("statuses");
            instanceView.put("extensions", views);
            instanceView.put("statuses", statuses);
        }
        return instanceView;
    }

    private static Map<String, Object> instanceView(String name, ExtensionCatalogue.Handler handler, String exact,
                                                    List<Object> statuses, List<Object> substatuses) {
        String now = java.time.Instant.now().toString();
        for (Object status : statuses) {
            map(status).put("time", now);
        }
        for (Object status : substatuses) {
            map(status).put("time", now);
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", name);
        view.put("type", handler.fullType());
        view.put("typeHandlerVersion", exact);
        if (!substatuses.isEmpty()) {
            view.put("substatuses", substatuses);
        }
        view.put("statuses", statuses);
        return view;
    }

    private static Map<String, Object> view(Map<String, Object> extension, boolean withInstanceView) {
        Map<String, Object> json = map(deepCopy(extension));
        Map<String, Object> internal = map(json.remove(INTERNAL));
        if (withInstanceView) {
            map(json.get("properties")).put("instanceView", internal.get("instanceView"));
        }
        return json;
    }

    /** Why the handler would refuse these settings, in its words after "Enable failed: "; null when it would not. */
    private static String problem(Map<String, Object> settings, Map<String, Object> secret) {
        for (String key : settings.keySet()) {
            if (secret.containsKey(key)) {
                return "failed to get configuration: '" + key + "' was specified both in public and protected"
                        + " settings; it must be specified only once";
            }
        }
        Object command = settings.containsKey("commandToExecute") ? settings.get("commandToExecute")
                : secret.get("commandToExecute");
        Object script = settings.containsKey("script") ? settings.get("script") : secret.get("script");
        boolean hasCommand = command instanceof String c && !c.isBlank();
        boolean hasScript = script instanceof String s && !s.isBlank();
        if (hasCommand == hasScript) {
            return "failed to get configuration: invalid configuration: exactly one of 'commandToExecute' and"
                    + " 'script' must be specified";
        }
        Object uris = settings.containsKey("fileUris") ? settings.get("fileUris") : secret.get("fileUris");
        if (uris instanceof List<?> list && !list.isEmpty()) {
            return "failed to download files: the emulator works offline and cannot download fileUris; put the"
                    + " files into the image, or give the script inline with 'script'";
        }
        if (hasScript && decode((String) script) == null) {
            return "failed to get configuration: 'script' is neither base64 nor gzip and base64";
        }
        return null;
    }

    /** The shell text to run: {@code commandToExecute}, or the decoded {@code script}. */
    private static String command(Map<String, Object> settings, Map<String, Object> secret) {
        Object command = settings.containsKey("commandToExecute") ? settings.get("commandToExecute")
                : secret.get("commandToExecute");
        if (command instanceof String c && !c.isBlank()) {
            return c;
        }
        return decode(String.valueOf(settings.containsKey("script") ? settings.get("script") : secret.get("script")));
    }

    /** A base64 script, gunzipped when it is gzip; null when it is not base64. */
    private static String decode(String script) {
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(script.strip());
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (bytes.length > 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                return null;
            }
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static ArmException notFound() {
        return ArmException.notFound("NotFound", "The entity was not found in this Azure location.");
    }
}
