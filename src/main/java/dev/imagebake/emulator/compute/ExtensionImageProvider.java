package dev.imagebake.emulator.compute;

import dev.imagebake.emulator.arm.ArmException;
import dev.imagebake.emulator.arm.ArmPath;
import dev.imagebake.emulator.arm.ArmRequest;
import dev.imagebake.emulator.arm.ResourceProvider;
import dev.imagebake.emulator.http.Response;

import static dev.imagebake.emulator.arm.ProviderSupport.requireMethod;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The catalogues of what runs inside Linux VMs, per location: the VM extension images of the
 * {@link ExtensionCatalogue} ({@code .../publishers/{pub}/artifacttypes/vmextension/types}, {@code .../types/{type}/
 * versions}, {@code .../versions/{v}}; lists are bare JSON arrays, as on Azure), and the run commands
 * ({@code .../locations/{loc}/runCommands} and {@code .../runCommands/{commandId}}), of which the emulator has
 * {@code RunShellScript}.
 */
public final class ExtensionImageProvider implements ResourceProvider {
    private static final String LOCATION = "subscriptions/*/providers/microsoft.compute/locations/*";
    private static final String TYPES = LOCATION + "/publishers/*/artifacttypes/vmextension/types";
    private static final String VERSIONS = TYPES + "/*/versions";
    private static final String RUN_COMMANDS = LOCATION + "/runcommands";

    @Override
    public boolean accepts(ArmPath path) {
        return path.matches(TYPES) || path.matches(VERSIONS) || path.matches(VERSIONS + "/*")
                || path.matches(RUN_COMMANDS) || path.matches(RUN_COMMANDS + "/*");
    }

    @Override
    public Response handle(ArmRequest request) throws ArmException {
        requireMethod(request, "GET");
        ArmPath path = request.path();
        String location = path.segment(5).replace(" ", "").toLowerCase(Locale.ROOT);
        if (path.matches(RUN_COMMANDS)) {
            return Response.json(200, Map.of("value", List.of(runCommand(false))));
        }
        if (path.matches(RUN_COMMANDS + "/*")) {
            if (!path.segment(7).equalsIgnoreCase(RunCommands.SHELL)) {
                throw ArmException.notFound("NotFound", "The entity was not found in this Azure location.");
            }
            return Response.json(200, runCommand(true));
        }
        String publisher = path.segment(7);
        List<ExtensionCatalogue.Handler> types = ExtensionCatalogue.types(publisher);
        if (types.isEmpty()) {
            throw ArmException.notFound("ArtifactNotFound", "Artifact: VMExtension was not found. The publisher '"
                    + publisher + "' has no extensions in location '" + location + "'.");
        }
        String prefix = "/Subscriptions/" + path.segment(1) + "/Providers/Microsoft.Compute/Locations/" + location
                + "/Publishers/" + types.get(0).publisher() + "/ArtifactTypes/VMExtension/Types/";
        if (path.matches(TYPES)) {
            List<Object> json = new ArrayList<>();
            for (ExtensionCatalogue.Handler handler : types) {
                json.add(entry(handler.type(), location, prefix + handler.type()));
            }
            return Response.json(200, json);
        }
        ExtensionCatalogue.Handler handler = ExtensionCatalogue.handler(publisher, path.segment(11))
                .orElseThrow(() -> ArmException.notFound("ArtifactNotFound", "Artifact: VMExtension was not found."
                        + " Type '" + path.segment(11) + "' of publisher '" + publisher + "' does not exist in"
                        + " location '" + location + "'."));
        String versionsPrefix = prefix + handler.type() + "/Versions/";
        if (path.matches(VERSIONS)) {
            List<Object> json = new ArrayList<>();
            for (String version : handler.versions()) {
                json.add(entry(version, location, versionsPrefix + version));
            }
            return Response.json(200, json);
        }
        String version = handler.versions().stream().filter(v -> v.equalsIgnoreCase(path.segment(13))).findFirst()
                .orElseThrow(() -> ArmException.notFound("ArtifactNotFound", "Artifact: VMExtension was not"
                        + " found. Version '" + path.segment(13) + "' of " + handler.fullType() + " does not exist"
                        + " in location '" + location + "'."));
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("operatingSystem", "Linux");
        properties.put("computeRole", "IaaS");
        properties.put("handlerSchema", "");
        properties.put("vmScaleSetEnabled", true);
        properties.put("supportsMultipleExtensions", false);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("properties", properties);
        json.put("location", location);
        json.put("name", version);
        json.put("id", versionsPrefix + version);
        return Response.json(200, json);
    }

    private static Map<String, Object> entry(String name, String location, String id) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("location", location);
        entry.put("name", name);
        entry.put("id", id);
        return entry;
    }

    /** RunShellScript as the catalogue lists it, or with its script and parameters when asked for alone. */
    private static Map<String, Object> runCommand(boolean document) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("$schema", "http://schema.management.azure.com/schemas/2016-11-17/runcommands.json");
        json.put("id", RunCommands.SHELL);
        json.put("osType", "Linux");
        json.put("label", "Run Linux Shell Script");
        json.put("description", "Custom multiline Linux shell script");
        if (document) {
            json.put("script", List.of("$script"));
            json.put("parameters", List.of(new LinkedHashMap<>(Map.of("name", "script", "type", "string",
                    "defaultValue", "", "required", false))));
        }
        return json;
    }
}
