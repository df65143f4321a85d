package dev.imagebake.dsl

import spock.lang.Specification

class TemplateEvaluatorSpec extends Specification {
    static final String SSH = """
builder ssh {
    host '127.0.0.1'
    user 'ubuntu'
    password 'pw-1234'
    insecureHostKey true
}
"""

    def "should turn a minimal ssh template into a plan with one build"() {
        when:
        def result = TemplateHarness.evaluate(SSH + "provision shell { inline 'echo hi' }")

        then:
        result.diagnostics().isEmpty()
        result.plan().builds()*.name() == ['ssh']
        result.plan().builds()[0].steps()[0].spec().inline() == ['echo hi']
    }

    def "should suggest the closest keyword for a misspelt setting"() {
        expect:
        TemplateHarness.errors("builder ssh {\n    hots '1.2.3.4'\n}") ==
                ["2:5: Unknown setting `hots` in builder ssh 'ssh'. Did you mean `host`?",
                 "1:9: builder ssh 'ssh' needs `host`",
                 "1:9: builder ssh 'ssh' needs `user`",
                 "1:9: builder ssh 'ssh' needs a way to log in: `privateKey`, `password` or `agent true`"]
    }

    def "a closure passed to a function parameter of another type is refused, not turned into a proxy"() {
        expect:
        TemplateHarness.errors(SSH + "def f(Iterable items) { items }\nf { -> [].iterator() }\n") ==
                ["9:1: the function `f` takes Iterable as argument 1, not a closure; declare that parameter as Closure or def"]
    }
}
