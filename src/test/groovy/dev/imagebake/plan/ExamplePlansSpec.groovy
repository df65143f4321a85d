package dev.imagebake.plan

import dev.imagebake.dsl.TemplateEvaluator
import dev.imagebake.dsl.TemplateSource
import dev.imagebake.dsl.VariableInputs
import dev.imagebake.dsl.sandbox.Limits
import groovy.json.JsonSlurper
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path
import java.time.Clock
import java.time.Instant
import java.time.ZoneOffset

/**
 * Every example template validates, and its plan (text and JSON) matches the golden files in
 * src/test/resources/golden. After an intended change, regenerate them with -Dgolden.update=true and review the diff.
 */
class ExamplePlansSpec extends Specification {
    static final Path GOLDEN = Path.of('src/test/resources/golden')
    static final Clock FIXED = Clock.fixed(Instant.parse('2026-11-26T10:15:30Z'), ZoneOffset.UTC)
    static final Map<String, Map<String, String>> VARS = ['existing-machine': [host: '192.0.2.10']]

    static List<String> examples() {
        Files.list(Path.of('dsl-examples')).withCloseable { s ->
            s.map { it.fileName.toString() }.filter { it.endsWith('.imagebake.groovy') }.sorted().toList()
        }
    }

    def "there are at least three examples"() {
        expect:
        examples().size() >= 3
    }

    def "example #name evaluates to the golden plan"() {
        given:
        def base = name - '.imagebake.groovy'
        def inputs = new VariableInputs.Builder([:])
        VARS.getOrDefault(base, [:]).each { k, v -> inputs.put(k, v, '-var') }

        when:
        def result = new TemplateEvaluator(Limits.DEFAULT, FIXED)
                .evaluate(TemplateSource.read(Path.of('dsl-examples', name)), inputs.build(), new StringBuilder())

        then:
        result.diagnostics().isEmpty()
        matchesGolden("${base}.plan.txt", PlanRenderer.render(result.plan()))
        matchesGolden("${base}.plan.json", PlanJson.render(result.plan()))
        new JsonSlurper().parseText(PlanJson.render(result.plan())).schemaVersion == 1

        where:
        name << examples()
    }

    private static boolean matchesGolden(String file, String actual) {
        Path golden = GOLDEN.resolve(file)
        if (Boolean.getBoolean('golden.update')) {
            Files.writeString(golden, actual)
        }
        assert Files.exists(golden): "missing golden file ${golden}; run once with -Dgolden.update=true"
        assert actual == Files.readString(golden)
        true
    }
}
