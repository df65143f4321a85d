package dev.imagebake.dsl

import dev.imagebake.dsl.sandbox.Limits
import dev.imagebake.plan.PlanJson
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Clock

class TemplateCacheSpec extends Specification {
    @TempDir
    Path dir

    static final String TEMPLATE = '''
def names = ['a', 'b'].collect { it.toUpperCase() }
builder ssh { host "h-${names.join('-')}"; user 'u'; password 'p'; insecureHostKey true }
provision shell { inline 'echo hi' }
'''

    private EvaluationResult evaluate(TemplateCache cache, String text = TEMPLATE) {
        new TemplateEvaluator(Limits.DEFAULT, Clock.systemUTC(), cache)
                .evaluate(new TemplateSource('t.imagebake.groovy', dir, text), VariableInputs.NONE, new StringBuilder())
    }

    private List<Path> entries(Path folder) {
        Files.exists(folder) ? Files.list(folder).withCloseable { it.toList() } : []
    }

    def "an unchanged template is compiled once and then loaded from the cache, with the same plan"() {
        given:
        Path folder = dir.resolve('cache')
        def cache = TemplateCache.at(folder, 'imagebake-1')

        when:
        def first = evaluate(cache)
        def stored = entries(folder)
        def second = evaluate(cache)

        then:
        first.ok()
        stored.size() == 1
        second.ok()
        entries(folder) == stored
        PlanJson.render(second.plan()) == PlanJson.render(first.plan())
        PlanJson.render(second.plan()).contains('h-A-B')
    }

    def "another template text or another imagebake build gets its own entry"() {
        given:
        Path folder = dir.resolve('cache')

        when:
        evaluate(TemplateCache.at(folder, 'imagebake-1'))
        evaluate(TemplateCache.at(folder, 'imagebake-1'), TEMPLATE + "provision shell { inline 'echo more' }\n")
        evaluate(TemplateCache.at(folder, 'imagebake-2'))

        then:
        entries(folder).size() == 3
    }

    def "a damaged entry counts as a miss and is replaced"() {
        given:
        Path folder = dir.resolve('cache')
        def cache = TemplateCache.at(folder, 'imagebake-1')
        evaluate(cache)
        Path entry = entries(folder)[0]
        Files.write(entry, [1, 2, 3] as byte[])

        when:
        def result = evaluate(cache)

        then:
        result.ok()
        Files.size(entry) > 3
    }

    def "templates that do not compile are never stored"() {
        given:
        Path folder = dir.resolve('cache')

        when:
        def result = evaluate(TemplateCache.at(folder, 'imagebake-1'), 'builder ssh {')

        then:
        !result.ok()
        entries(folder).isEmpty()
    }
}
