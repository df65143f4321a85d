package dev.imagebake.util

import spock.lang.Specification

/** ARM's reading of request bodies: what the Azure CLI sends for a template file. */
class JsonLenientSpec extends Specification {
    def "should read comments, unquoted keys and trailing commas leniently, and only then"() {
        given:
        String text = '''{"properties": {"mode": "Incremental", template: {
  // a line comment
  "resources": [ /* none */ ],
  "outputs": {"a": {"value": 1,},},
}}}'''

        when:
        def lenient = Json.parseLenient(text)
        Json.parse(text)

        then:
        lenient == [properties: [mode: 'Incremental', template: [resources: [], outputs: [a: [value: 1L]]]]]
        def e = thrown(IllegalArgumentException)
        e.message == '1:40: expected a quoted key'
    }

    def "should still refuse what ARM refuses: an unterminated comment or a stray character"() {
        when:
        Json.parseLenient(text)

        then:
        def e = thrown(IllegalArgumentException)
        e.message.endsWith(message)

        where:
        text                 | message
        '{"a": 1 /* open'    | 'unterminated comment'
        '{"a": @}'           | "unexpected character '@'"
    }
}
