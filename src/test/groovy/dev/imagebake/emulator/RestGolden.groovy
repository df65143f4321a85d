package dev.imagebake.emulator

import groovy.json.JsonOutput
import groovy.json.JsonSlurper

import java.nio.file.Files
import java.nio.file.Path

/**
 * Golden files for the emulator's REST replies, under {@code src/test/resources/rest-golden/<area>/<operation>.json}.
 * Volatile values (GUIDs, timestamps, the subscription and the emulator's host and port) are normalised first, so
 * a golden file holds the reply's shape and fixed values. Run with {@code -Dgolden.update=true} to rewrite them.
 */
class RestGolden {
    static final Path ROOT = Path.of('src/test/resources/rest-golden')

    private static final String GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/
    private static final String TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/

    /** The reply with volatile values replaced by placeholders. */
    static Object normalise(Object json) {
        switch (json) {
            case Map: return (json as Map).collectEntries { k, v -> [(k): normalise(v)] }
            case List: return (json as List).collect { normalise(it) }
            case String:
                return (json as String).replaceAll(/https:\/\/[^\/\s"]+/, 'https://{emulator}')
                        .replaceAll(TIME, '{time}').replaceAll(GUID, '{guid}')
            default: return json
        }
    }

    /**
     * Compares the normalised reply with the golden file ({@code area/operation.json}); rewrites the file when
     * {@code golden.update} is set. Returns the differences (empty when equal); a missing file is one.
     */
    static List<String> compare(String area, String operation, Object reply) {
        Path file = ROOT.resolve(area).resolve(operation + '.json')
        String actual = JsonOutput.prettyPrint(JsonOutput.toJson(normalise(reply))) + '\n'
        if (Boolean.getBoolean('golden.update')) {
            Files.createDirectories(file.parent)
            Files.writeString(file, actual)
        }
        if (!Files.exists(file)) {
            return ["no golden file $file (run with -Dgolden.update=true to write it)".toString()]
        }
        Object golden = new JsonSlurper().parse(file.toFile())
        differences('', golden, new JsonSlurper().parseText(actual))
    }

    /**
     * The paths of the fields an official example has that the reply lacks or gives a different JSON type
     * (objects, arrays, strings, numbers, booleans); lists compare their first items.
     */
    static List<String> missingFields(Object example, Object reply, String at = '') {
        List<String> missing = []
        if (example instanceof Map) {
            if (!(reply instanceof Map)) {
                return ["$at: expected an object".toString()]
            }
            (example as Map).each { k, v ->
                if (!(reply as Map).containsKey(k)) {
                    missing << "$at/$k".toString()
                } else {
                    missing.addAll(missingFields(v, (reply as Map).get(k), "$at/$k"))
                }
            }
        } else if (example instanceof List) {
            if (!(reply instanceof List)) {
                return ["$at: expected an array".toString()]
            }
            if (example && reply) {
                missing.addAll(missingFields((example as List)[0], (reply as List)[0], "$at[0]"))
            }
        } else if (example != null && jsonType(example) != jsonType(reply)) {
            missing << "$at: expected a ${jsonType(example)}, got ${jsonType(reply)}".toString()
        }
        missing
    }

    private static String jsonType(Object value) {
        value instanceof String ? 'string' : value instanceof Number ? 'number' : value instanceof Boolean ? 'boolean'
                : value instanceof Map ? 'object' : value instanceof List ? 'array' : 'null'
    }

    private static List<String> differences(String at, Object golden, Object actual) {
        if (golden instanceof Map && actual instanceof Map) {
            def keys = new LinkedHashSet((golden as Map).keySet() + (actual as Map).keySet())
            return keys.collectMany { differences("$at/$it", (golden as Map).get(it), (actual as Map).get(it)) }
        }
        if (golden instanceof List && actual instanceof List && golden.size() == actual.size()) {
            return (0..<golden.size()).collectMany { differences("$at[$it]", golden[it], actual[it]) }
        }
        golden == actual ? [] : ["$at: golden ${JsonOutput.toJson(golden)}, got ${JsonOutput.toJson(actual)}".toString()]
    }
}
