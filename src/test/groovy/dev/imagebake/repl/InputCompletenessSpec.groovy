package dev.imagebake.repl

import spock.lang.Specification

/** When the REPL waits for more lines, and how :load cuts a template into statements. */
class InputCompletenessSpec extends Specification {
    def "input is complete when #why"() {
        expect:
        InputCompleteness.complete(text) == complete

        where:
        text                                        | complete | why
        "provision shell { inline 'a' }"            | true     | 'every brace is closed'
        'builder ssh {'                             | false    | 'a brace is open'
        'def xs = [1,\n2'                           | false    | 'a bracket is open'
        "println '{'"                               | true     | 'a brace inside a string does not count'
        'println "}{"'                              | true     | 'nor inside a double-quoted string'
        "x = 1 // {"                                | true     | 'nor inside a line comment'
        "x = 1 /* {\n"                              | false    | 'a block comment is open'
        "t = '''one\n"                              | false    | 'a triple-quoted string is open'
        "t = '''one\n{ two'''"                      | true     | 'the triple-quoted string is closed, braces in it do not count'
        "println 'unclosed"                         | true     | 'an unclosed one-line string is an error to report, not more input'
    }

    def "the open blocks are named by the keyword before their brace"() {
        expect:
        InputCompleteness.openBlocks("builder ssh('box') {\n bastion {") == ['ssh', 'bastion']
        InputCompleteness.openBlocks('provision shell { inline "x" }\nprovision file {') == ['file']
        InputCompleteness.openBlocks('onError {\n[1, 2].each { n ->\nprovision shell {') == ['onError', 'each', 'shell']
    }

    def "a template is cut into top-level statements with the line each starts on"() {
        when:
        def statements = InputCompleteness.statements('''\
variable 'a', default: 1

builder ssh {
    host 'h'
}


provision shell { inline 'x' }''')

        then:
        statements*.text() == ["variable 'a', default: 1", "builder ssh {\n    host 'h'\n}", "provision shell { inline 'x' }"]
        statements*.firstLine() == [1, 3, 8]
        statements*.lastLine() == [1, 5, 8]
    }
}
