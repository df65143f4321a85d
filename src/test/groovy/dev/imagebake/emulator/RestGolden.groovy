package dev.imagebake.emulator

import groovy.json.JsonOutput

import java.nio.file.Files
import java.nio.file.Path

/**
 * Golden files for the emulator's REST replies, under src/test/resources/rest-golden/AREA/OPERATION.json: the reply
 * with its volatile values (guids, tokens, times, ports) normalised, so that a change of shape shows as a diff.
 * Run with {@code -Dgolden.update=true} to rewrite them on purpose.
 */
class RestGolden {
    static final Path ROOT = Path.of('src/test/resources/rest-golden')

    private static final String GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/

    /** A copy of {@code json} with volatile values replaced by placeholders. */
    static Object normalise(Object json) {
        switch (json) {
            case Map: return json.collectEntries { k, v -> [k, normalise(v)] }
            case List: return json.collect { normalise(it) }
            case String: return normaliseText(json as String)
            default: return json
        }
    }

    private static String normaliseText(String text) {
        if (text ==~ /eyJ[\w-]+\.[\w-]+\.[\w-]+/) {
            return '<jwt>'
        }
        if (text ==~ /\d{10}/) {
            return '<epoch-seconds>'
        }
        text.replaceAll(GUID, '<guid>')
                .replaceAll(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?/, '<timestamp>')
                .replaceAll(/127\.0\.0\.1:\d+/, '127.0.0.1:<port>')
    }

    /** Fails unless the normalised reply equals the golden file (which {@code -Dgolden.update=true} rewrites). */
    static void check(String name, Object reply) {
        Path file = ROOT.resolve(name + '.json')
        String actual = JsonOutput.prettyPrint(JsonOutput.toJson(normalise(reply))) + '\n'
        if (Boolean.getBoolean('golden.update')) {
            Files.createDirectories(file.parent)
            Files.writeString(file, actual)
            return
        }
        assert Files.exists(file): "no golden file ${file}; run with -Dgolden.update=true to write it"
        assert actual == Files.readString(file)
    }

    /** Each field's path and JSON type (object, array, string, number, boolean, null), for comparing shapes. */
    static Map<String, String> types(Object json, String prefix = '') {
        Map<String, String> found = [:]
        if (json instanceof Map) {
            json.each { k, v ->
                String path = prefix ? "${prefix}.${k}" : k as String
                found[path] = typeOf(v)
                found.putAll(RestGolden.types(v, path))
            }
        } else if (json instanceof List && !json.isEmpty()) {
            found.putAll(RestGolden.types(json[0], prefix + '[]'))
        }
        found
    }

    static String typeOf(Object value) {
        value == null ? 'null' : value instanceof Map ? 'object' : value instanceof List ? 'array'
                : value instanceof String ? 'string' : value instanceof Number ? 'number'
                : value instanceof Boolean ? 'boolean' : value.getClass().simpleName
    }
}
