package dev.imagebake.emulator

import groovy.json.JsonOutput
import groovy.json.JsonSlurper

import java.nio.file.Files
import java.nio.file.Path

/**
 * The emulator's REST replies against golden files, {@code src/test/resources/rest-golden/<area>/<operation>.json},
 * after volatile values (GUIDs, times, the emulator's own URL, loopback addresses) became placeholders; and
 * against the official examples of {@code Azure/azure-rest-api-specs}, field by field. {@code -Dgolden.update=true}
 * rewrites the golden files from the replies.
 */
class RestGolden {
    static final Path ROOT = Path.of('src/test/resources/rest-golden')

    /** A copy of {@code json} with its volatile values as placeholders: {guid}, {time}, {emulator}, {address}. */
    static Object normalise(Object json) {
        if (json instanceof Map) {
            return (json as Map).collectEntries { key, value -> [(key): normalise(value)] }
        }
        if (json instanceof List) {
            return (json as List).collect { normalise(it) }
        }
        if (json instanceof String) {
            return (json as String)
                    .replaceAll(/https:\/\/127\.0\.0\.1:\d+/, '{emulator}')
                    .replaceAll(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?/, '{time}')
                    .replaceAll(/(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, '{guid}')
                    .replaceAll(/\b127\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/, '{address}')
        }
        json
    }

    /**
     * How the normalised reply differs from its golden file (nothing when they are equal; a missing file is a
     * difference). With {@code golden.update} set the file is first rewritten.
     */
    static List<String> compare(String area, String operation, Object reply) {
        Path file = ROOT.resolve(area).resolve("${operation}.json")
        Object actual = normalise(new JsonSlurper().parseText(JsonOutput.toJson(reply)))
        if (Boolean.getBoolean('golden.update')) {
            Files.createDirectories(file.parent)
            Files.writeString(file, JsonOutput.prettyPrint(JsonOutput.toJson(actual)) + '\n')
        }
        if (!Files.exists(file)) {
            return ["$file does not exist; write it with -Dgolden.update=true".toString()]
        }
        diff('', new JsonSlurper().parse(file.toFile()), actual)
    }

    /**
     * The fields of an official example that the reply lacks, or has with another JSON type, as paths
     * ({@code /properties/instanceView/statuses[0]/time}); arrays are compared by their first items.
     */
    static List<String> missingFields(Object example, Object reply, String path = '') {
        if (example instanceof Map) {
            if (!(reply instanceof Map)) {
                return ["$path: not an object".toString()]
            }
            return (example as Map).collectMany { key, value ->
                (reply as Map).containsKey(key) ? missingFields(value, (reply as Map).get(key), "$path/$key")
                        : ["$path/$key".toString()]
            }
        }
        if (example instanceof List) {
            if (!(reply instanceof List)) {
                return ["$path: not an array".toString()]
            }
            return example && reply ? missingFields(example[0], reply[0], "${path}[0]") : []
        }
        example == null || type(example) == type(reply) ? []
                : ["$path: a ${type(reply)} where the example has a ${type(example)}".toString()]
    }

    private static String type(Object value) {
        switch (value) {
            case String: return 'string'
            case Number: return 'number'
            case Boolean: return 'boolean'
            case Map: return 'object'
            case List: return 'array'
            default: return 'null'
        }
    }

    private static List<String> diff(String path, Object golden, Object actual) {
        if (golden instanceof Map && actual instanceof Map) {
            Set keys = new LinkedHashSet((golden as Map).keySet())
            keys.addAll((actual as Map).keySet())
            return keys.collectMany { key -> diff("$path/$key", (golden as Map).get(key), (actual as Map).get(key)) }
        }
        if (golden instanceof List && actual instanceof List && golden.size() == actual.size()) {
            return (0..<golden.size()).collectMany { int i -> diff("$path[$i]", (golden as List).get(i), (actual as List).get(i)) }
        }
        golden == actual ? [] : ["$path: golden ${JsonOutput.toJson(golden)}, reply ${JsonOutput.toJson(actual)}".toString()]
    }
}
