package dev.imagebake.builder

import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.engine.ResumeRecord
import dev.imagebake.plan.Build
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/** The hashes that decide where `build --resume` starts, and the decision itself (no machine needed). */
class StepHashesSpec extends Specification {
    Path folder = Files.createTempDirectory('ib-hashes-')

    def cleanup() {
        folder.toFile().deleteDir()
    }

    static final String BUILDER = """
builder ssh { host '127.0.0.1'; user 'u'; agent true; hostKey 'SHA256:${'A' * 43}' }
"""

    Build evaluate(String steps, Map vars = [:]) {
        def result = TemplateHarness.evaluate("variable 'pw', sensitive: true\n" + BUILDER + steps, vars, folder)
        assert result.ok(): result.diagnostics()
        result.plan().builds()[0]
    }

    List<String> hashes(String steps, Map vars = [pw: 'first-secret']) {
        StepHashes.of(evaluate(steps, vars), folder)
    }

    def "should hash what a step does, not where it is declared"() {
        given:
        Files.writeString(folder.resolve('a.sh'), '#!/bin/sh\necho a\n')
        Files.createDirectories(folder.resolve('tree'))
        Files.writeString(folder.resolve('tree/x.txt'), 'x')
        String steps = """provision shell { script 'a.sh' }
provision file { source 'tree'; destination '/tmp/tree' }
provision shell { env PW: var.pw; inline 'true' }
"""
        List<String> before = hashes(steps)

        expect: 'a comment above the steps moves them, and changes nothing'
        hashes('// a comment\n\n' + steps) == before

        and: 'the script a step uploads'
        Files.writeString(folder.resolve('a.sh'), '#!/bin/sh\necho b\n')
        hashes(steps)[0] != before[0]

        and: 'a file inside an uploaded folder'
        Files.writeString(folder.resolve('tree/x.txt'), 'y')
        hashes(steps)[1] != before[1]

        and: 'a sensitive value, which only the hash holds'
        hashes(steps, [pw: 'second-secret'])[2] != before[2]
        hashes(steps, [pw: 'first-secret'])[2] == before[2]
        !before.any { it.contains('first-secret') }

        and: 'an option around the step'
        hashes(steps.replace("inline 'true' }", "inline 'true'; retries 2 }"))[2] != before[2]
    }

    def "should start at the failed step, refuse an earlier change with the list, and take --from by number or name"() {
        given:
        String steps = "provision shell { inline 'one' }\nprovision shell { inline 'two' }\nprovision shell { inline 'three' }\n"
        Build build = evaluate(steps, [pw: 'x'])
        List<String> now = StepHashes.of(build, folder)
        def kept = { List<String> ran ->
            new ResumeRecord.Entry('ssh', '127.0.0.1', 22, 'u', 'SHA256:k', [],
                    ran.withIndex().collect { h, i -> new ResumeRecord.StepHash(i + 1, "shell (line ${i + 4})", h) },
                    'shell (line 6)')
        }

        expect:
        ResumeSource.where(kept(now[0..1]), build, now, null) == 2
        ResumeSource.where(kept(['0' * 64, now[1]]), build, now, '1') == 0
        ResumeSource.where(kept(['0' * 64, now[1]]), build, now, 'SHELL (line 5)') == 1

        when:
        ResumeSource.where(kept(['0' * 64, now[1]]), build, now, null)

        then:
        def refused = thrown(ResumeSource.Refused)
        refused.message.startsWith('steps that ran before the failure changed since:\n  1. shell (line 4)\n')

        when:
        ResumeSource.where(kept(now[0..1]), build, now, 'shell (line 9)')

        then:
        def unknown = thrown(ResumeSource.Refused)
        unknown.message == "--from shell (line 9): no such step in build ssh; its steps are:\n" +
                "  1. shell (line 4)\n  2. shell (line 5)\n  3. shell (line 6)"
    }

    def "should read back the record it writes, owner-only"() {
        given:
        def record = new ResumeRecord('t.imagebake.groovy', java.time.Instant.parse('2026-01-01T00:00:00Z'),
                java.time.Instant.parse('2026-01-02T00:00:00Z'), [box: new ResumeRecord.Entry('ssh', 'h', 2222, 'u',
                'SHA256:k', [], [new ResumeRecord.StepHash(1, 'shell (line 4)', 'ab' * 32)], 'shell (line 5)')])
        Path file = ResumeRecord.beside(folder.resolve('t.imagebake.groovy'))

        when:
        record.write(file)

        then:
        file.fileName.toString() == '.t.imagebake.resume.json'
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)) == 'rw-------'
        ResumeRecord.read(file) == record
        record.expired(java.time.Instant.parse('2026-01-02T00:00:00Z'))
        !record.expired(java.time.Instant.parse('2026-01-01T23:59:59Z'))
    }

    def "should read back an azure entry's resources and details, and write no details for builder ssh"() {
        given:
        def azure = new ResumeRecord.Entry('azure', '20.1.2.3', 22, 'imagebake', 'SHA256:k',
                ['/subscriptions/s/resourceGroups/imagebake-web-3f2a9c1d'], [], 'shell (line 9)',
                [buildId: 'web-3f2a9c1d', resourceGroup: 'imagebake-web-3f2a9c1d', temporaryGroup: 'true',
                 keyFile: '/tmp/imagebake-kept-web-3f2a9c1d-1/id', heldUntil: '2026-01-02T00:00:00Z'])
        def ssh = new ResumeRecord.Entry('ssh', 'h', 22, 'u', 'SHA256:k', [], [], null)
        def record = new ResumeRecord('t.imagebake.groovy', java.time.Instant.parse('2026-01-01T00:00:00Z'),
                java.time.Instant.parse('2026-01-02T00:00:00Z'), [web: azure, box: ssh])
        Map json = new groovy.json.JsonSlurper().parseText(record.toJson()) as Map

        expect:
        ResumeRecord.parse(record.toJson()) == record
        json.builds.web.details.keyFile == '/tmp/imagebake-kept-web-3f2a9c1d-1/id'
        json.builds.web.resources == ['/subscriptions/s/resourceGroups/imagebake-web-3f2a9c1d']
        !(json.builds.box as Map).containsKey('details')
    }
}
