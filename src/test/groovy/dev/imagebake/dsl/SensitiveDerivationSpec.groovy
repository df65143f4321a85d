package dev.imagebake.dsl

import dev.imagebake.plan.PlanJson
import dev.imagebake.plan.PlanRenderer
import spock.lang.Specification

/**
 * What a template computes from a sensitive value is sensitive: the sandbox carries sensitivity through every
 * operation, so the plan knows the derived values and its renderers mask them. Values handed back unchanged keep
 * their own standing.
 */
class SensitiveDerivationSpec extends Specification {
    static final String SSH_PASSWORD = 'ssh-pass-0'
    static final String SSH = "builder ssh { host '127.0.0.1'; user 'u'; password '${SSH_PASSWORD}'; insecureHostKey true }\n"
    static final String PW = 'Hunter-Secret-42'

    Map plan(String body) {
        def out = new StringBuilder()
        def result = TemplateHarness.evaluate("variable 'pw', sensitive: true\n" + SSH + body, [pw: PW], null,
                java.time.Duration.ofSeconds(10), out)
        assert result.diagnostics() == []
        [plan: result.plan(), text: PlanRenderer.render(result.plan()), json: PlanJson.render(result.plan()),
         printed: out.toString()]
    }

    def "a value derived by #form is masked in the plan's text and JSON"() {
        when:
        def p = plan("provision shell { env X: ${form}, Y: 'visible'; inline 'true' }")
        String derived = Eval.me('pw', PW, form.replace('var.pw', 'pw'))

        then:
        !p.text.contains(derived)
        !p.json.contains(derived)
        p.text.contains('visible')
        p.plan.builds()[0].steps()[0].spec().env().X == derived

        where:
        form << ["var.pw.toUpperCase()", "var.pw.reverse()", "var.pw.substring(2, 9)", "var.pw.split('-')[1]",
                 "var.pw.tokenize('-').reverse().join('/')", "\"<\${var.pw.take(6)}>\"", "var.pw.drop(7) * 2",
                 "var.pw.collect { it.next() }.join()", "\"\${var.pw.bytes.encodeBase64()}\"",
                 "[var.pw.toLowerCase(), 'x'].join(':')", "[a: var.pw].collect { k, v -> v.reverse() }.first()",
                 "'abc'.collect { var.pw }.join().reverse()", "var.pw.toList().sort().join()",
                 "(var.pw as List).join('.')", "var.pw.find(/[0-9]+/) + 'x'"]
    }

    def "a derived value too short to mask inside text is masked where it stands alone"() {
        when:
        def p = plan("provision shell { env X: var.pw.take(2), Y: 'Hu-visible'; inline 'true' }")

        then:
        p.plan.sensitiveWholeValues() == ['Hu'] as Set
        p.json.contains('"X": "<sensitive>"')
        p.text.contains('Hu-visible')
    }

    def "values handed back unchanged keep their own standing, and a list holding a secret is sensitive"() {
        when:
        def p = plan('''
def both = [var.pw, 'plain-word']
def list = []
list << var.pw.reverse()
provision shell { env A: both[1], B: both.join('+'), C: list.join(); inline 'true' }
''')

        then:
        p.text.contains('plain-word')
        !p.plan.sensitiveValues().contains('plain-word')
        p.plan.sensitiveValues().containsAll([PW.reverse(), PW + '+plain-word'].findAll { !it.contains(PW) })
        !p.text.contains(PW.reverse())
    }

    def "what the template prints of a derived value is masked"() {
        when:
        def p = plan("println var.pw.reverse(); println var.pw.toList(); println \"n=\${var.pw.size()}\"\n")

        then:
        !p.printed.contains(PW.reverse())
        !p.printed.contains(PW.toList().toString())
        p.printed.contains('n=16')
    }

    def "a loop that grows a secret leaves the plan a short list of values to mask"() {
        when:
        def p = plan('''
def s = ''
for (i in 1..200) { s += var.pw }
provision shell { env A: s; inline 'true' }
''')

        then:
        p.plan.sensitiveValues() == [PW, SSH_PASSWORD] as Set
        !p.text.contains(PW)
    }
}
