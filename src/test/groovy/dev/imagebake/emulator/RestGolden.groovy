package dev.imagebake.emulator

import groovy.json.JsonOutput
import groovy.json.JsonSlurper

import java.nio.file.Files
import java.nio.file.Path

/**
 * Golden files for the emulator's REST replies, under {@code src/test/resources/rest-golden/<area>/<operation>.json}.
 * A reply is normalised first (subscription, GUIDs, etags, timestamps and loopback addresses replaced by fixed
 * placeholders) so the file holds only what must not change. {@code -Dgolden.update=true} rewrites the files
 * instead of comparing; review the diff before committing it.
 *
 * <p>{@link #missingFrom} checks a reply against an official example from {@code Azure/azure-rest-api-specs}: every
 * field the example has must be in the reply, with the same JSON type.
 */
class RestGolden {
    static final Path ROOT = Path.of('src/test/resources/rest-golden')

    private static final List<List> VOLATILE = [
            [~/\/subscriptions\/[0-9a-fA-F-]{36}/, '/subscriptions/SUBSCRIPTION'],
            // Etags sit in JSON strings with their quotes escaped: W/\"guid\"
            [~/W\/\\"[0-9a-fA-F-]{36}\\"/, 'W/\\\\"ETAG\\\\"'],
            [~/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/, 'GUID'],
            [~/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/, 'TIMESTAMP'],
            [~/127\.\d+\.\d+\.\d+(:\d+)?/, 'LOOPBACK'],
            // Access tokens (JWTs) and the epoch-second times of Azure AD v1 replies, which it sends as strings.
            [~/eyJ[\w-]+\.[\w-]+\.[\w-]+/, 'JWT'],
            [~/"\d{10}"/, '"EPOCH_SECONDS"'],
            [~/\b20\.\d+\.\d+\.\d+/, 'PUBLIC_IP'],
    ]

    /** The reply with its volatile values replaced, as pretty JSON. */
    static String normalise(Object reply) {
        String text = JsonOutput.prettyPrint(JsonOutput.toJson(reply))
        VOLATILE.each { pattern, replacement -> text = text.replaceAll(pattern, replacement) }
        text + '\n'
    }

    /**
     * Compares the normalised reply with the golden file (or writes it under {@code -Dgolden.update=true}); returns
     * null when they match, else what differs.
     */
    static String compare(String area, String operation, Object reply) {
        Path file = ROOT.resolve(area).resolve(operation + '.json')
        String actual = normalise(reply)
        if (Boolean.getBoolean('golden.update') || !Files.exists(file)) {
            if (!Boolean.getBoolean('golden.update')) {
                return "no golden file $file (run with -Dgolden.update=true to write it)"
            }
            Files.createDirectories(file.parent)
            Files.writeString(file, actual)
            return null
        }
        String expected = Files.readString(file)
        // Compared as JSON values: the order of an object's keys is not part of the contract.
        def slurper = new JsonSlurper()
        slurper.parseText(expected) == slurper.parseText(actual) ? null
                : "reply differs from $file:\n--- expected\n$expected\n--- actual\n$actual"
    }

    /** The paths of fields in {@code example} that {@code reply} lacks or holds with another JSON type. */
    static List<String> missingFrom(Object reply, Object example, String path = '') {
        List<String> missing = []
        if (example instanceof Map) {
            if (!(reply instanceof Map)) {
                return ["$path (an object in the example)".toString()]
            }
            example.each { key, value ->
                String here = path ? "$path.$key" : key
                if (!reply.containsKey(key)) {
                    missing << here
                } else {
                    missing.addAll(missingFrom(reply.get(key), value, here))
                }
            }
        } else if (example instanceof List) {
            if (!(reply instanceof List)) {
                return ["$path (an array in the example)".toString()]
            }
            if (!example.isEmpty() && !reply.isEmpty()) {
                missing.addAll(missingFrom(reply[0], example[0], "$path[0]"))
            }
        } else if (example != null && reply != null && typeOf(example) != typeOf(reply)) {
            missing << "$path (${typeOf(reply)} where the example has ${typeOf(example)})".toString()
        }
        missing
    }

    /** Fails unless the normalised reply equals its golden file {@code rest-golden/<area>/<operation>.json}. */
    static void check(String areaAndOperation, Object reply) {
        int slash = areaAndOperation.indexOf('/')
        String difference = compare(areaAndOperation.substring(0, slash), areaAndOperation.substring(slash + 1), reply)
        assert difference == null
    }

    /** Each field's path and JSON type (object, array, string, number, boolean, null), for comparing shapes. */
    static Map<String, String> types(Object json, String prefix = '') {
        Map<String, String> found = [:]
        if (json instanceof Map) {
            json.each { k, v ->
                String path = prefix ? "${prefix}.${k}" : k as String
                found[path] = typeOf(v)
                found.putAll(types(v, path))
            }
        } else if (json instanceof List && !json.isEmpty()) {
            found.putAll(types(json[0], prefix + '[]'))
        }
        found
    }

    static String typeOf(Object value) {
        value instanceof Number ? 'number' : value instanceof Boolean ? 'boolean' : value instanceof String ? 'string'
                : value instanceof Map ? 'object' : value instanceof List ? 'array' : 'null'
    }

    /** An official example file's JSON, kept under {@code rest-golden/<area>/examples/}. */
    static Object example(String area, String name) {
        new JsonSlurper().parse(ROOT.resolve(area).resolve('examples').resolve(name).toFile())
    }
}
