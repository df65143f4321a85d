package dev.imagebake.builder.ssh

import dev.imagebake.cli.ExitCodes
import dev.imagebake.testsupport.LoopbackSshd
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.PosixFilePermissions
import java.time.Instant

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * {@code build --resume} with {@code builder ssh} against a real sshd on loopback: each step appends its number to a
 * log on the machine, so the log shows which steps really ran, and how often.
 */
class ResumeSpec extends Specification {
    static final String TOKEN = 'tok-9f3a-resume-secret'

    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    def cleanupSpec() {
        sshd.close()
    }

    Path folder
    Path log

    def setup() {
        folder = folderWithKey(sshd)
        log = Path.of("/tmp/imagebake-resume-${UUID.randomUUID()}.log")
        Files.writeString(folder.resolve('payload.txt'), 'first payload\n')
        Files.writeString(folder.resolve('four.sh'), "#!/bin/sh\necho 4 >> ${log}\n")
    }

    def cleanup() {
        folder.toFile().deleteDir()
        Files.deleteIfExists(log)
        Files.deleteIfExists(Path.of("${log}.payload"))
    }

    /** Five steps; the third fails until {@code fixed}. Line 11 holds the first step. */
    String template(boolean fixed) {
        "variable 'token', sensitive: true, default: '${TOKEN}'" + sshBuilder(sshd) + """\
provision file { source 'payload.txt'; destination '${log}.payload' }
provision shell { env TOKEN: var.token; inline 'test -n "\$TOKEN"', 'echo 1 >> ${log}', 'echo 2 >> ${log}' }
provision shell { inline ${fixed ? '' : "'exit 1', "}'echo 3 >> ${log}' }
provision shell { script 'four.sh' }
provision shell { inline 'echo 5 >> ${log}' }
"""
    }

    Path record() {
        folder.resolve('.t.imagebake.resume.json')
    }

    List<String> ran() {
        Files.readAllLines(log)
    }

    def "should continue a failed build at the failed step, on the same machine, once the template is fixed"() {
        when:
        def failed = build(folder, template(false), ['--on-error=abort'])

        then:
        failed.code == ExitCodes.FAILED
        ran() == ['1', '2']
        Files.isRegularFile(record())
        failed.err.contains("note: wrote the resume record ${record()}")

        when:
        def resumed = build(folder, template(true), ['--resume'])

        then:
        resumed.code == ExitCodes.OK
        resumed.out.contains('resuming on the kept machine: steps 1-2 ran before; from step 3 on')
        !resumed.out.contains('file (line 11)')
        ran() == ['1', '2', '3', '4', '5']
        !Files.exists(record())
        resumed.err.contains("note: removed the resume record ${record()}: nothing is left to resume")
    }

    def "should refuse to resume after a step before the failed one changed, listing it, until --from says where"() {
        given:
        build(folder, template(false), ['--on-error=abort']).code == ExitCodes.FAILED
        Files.writeString(folder.resolve('payload.txt'), 'second payload\n')

        when:
        def refused = build(folder, template(true), ['--resume'])

        then:
        refused.code == ExitCodes.RESUME_REFUSED
        refused.err.contains('Error: build box cannot resume: steps that ran before the failure changed since:\n'
                + '  1. file (line 11)\n')
        refused.err.contains("--from STEP (a step number, or a name such as 'file (line 11)')")
        ran() == ['1', '2']
        Files.isRegularFile(record())

        when:
        def again = build(folder, template(true), ['--resume', '--from', '1'])

        then:
        again.code == ExitCodes.OK
        ran() == ['1', '2', '1', '2', '3', '4', '5']
        Files.readString(Path.of("${log}.payload")) == 'second payload\n'
        !Files.exists(record())
    }

    def "should count a step as changed when its file was edited while the build ran, after the step sent it"() {
        given: 'step 2 edits, on this host, the file step 1 has just uploaded; step 3 fails'
        String steps = sshBuilder(sshd) + """\
provision file { source 'payload.txt'; destination '${log}.payload' }
provision shellLocal { inline 'printf "edited meanwhile\\\\n" > payload.txt' }
provision shell { inline 'exit 1' }
"""
        def failed = build(folder, steps, ['--on-error=abort'])

        expect: 'the machine got the first payload, and the folder now holds the edited one'
        failed.code == ExitCodes.FAILED
        Files.readString(Path.of("${log}.payload")) == 'first payload\n'
        Files.readString(folder.resolve('payload.txt')) == 'edited meanwhile\n'

        when: 'the hashes are taken only once the build failed, and the file differs from what step 1 sent'
        def refused = build(folder, steps.replace("inline 'exit 1'", "inline 'true'"), ['--resume'])

        then: 'step 1 must run again: the record does not claim the machine holds the edited file'
        refused.code == ExitCodes.RESUME_REFUSED
        refused.err.contains('steps that ran before the failure changed since:\n  1. file (line 11)\n')
        def record = new JsonSlurper().parse(record().toFile())
        record.builds.box.succeeded*.sha256[0] == 'changed while the build ran'
    }

    def "should resume from a step given by name, and refuse a step after the one that failed"() {
        given:
        build(folder, template(false), ['--on-error=abort']).code == ExitCodes.FAILED

        when:
        def late = build(folder, template(true), ['--resume', '--from', '4'])

        then:
        late.code == ExitCodes.RESUME_REFUSED
        late.err.contains('--from 4: step 4 comes after the step that failed (3); it can start at step 3 at the latest')

        when:
        def named = build(folder, template(true), ['--resume', '--from', 'shell (line 12)'])

        then:
        named.code == ExitCodes.OK
        ran() == ['1', '2', '1', '2', '3', '4', '5']
    }

    def "should keep the record owner-only, with hashes and no secret, and after a second failure still resume"() {
        when:
        build(folder, template(false), ['--on-error=abort'])
        String text = Files.readString(record())
        Map json = new JsonSlurper().parseText(text) as Map
        Map box = json.builds.box as Map

        then:
        PosixFilePermissions.toString(Files.getPosixFilePermissions(record())) == 'rw-------'
        !text.contains(TOKEN)
        !text.contains(TOKEN.reverse())
        box.builder == 'ssh'
        box.host == '127.0.0.1'
        box.port == sshd.port
        box.hostKey == sshd.hostKeyFingerprint
        box.succeeded*.number == [1, 2]
        box.succeeded*.name == ['file (line 11)', 'shell (line 12)']
        box.succeeded.every { it.sha256 ==~ /[0-9a-f]{64}/ }
        box.failed == 'shell (line 13)'
        Instant.parse(json.expires as String) > Instant.parse(json.created as String).plusSeconds(24 * 3600 - 60)

        when: 'the resumed build fails again at a later step'
        Files.writeString(folder.resolve('four.sh'), '#!/bin/sh\nexit 7\n')
        def second = build(folder, template(true), ['--resume', '--on-error=abort'])
        Map after = new JsonSlurper().parse(record()) as Map

        then:
        second.code == ExitCodes.FAILED
        ran() == ['1', '2', '3']
        after.builds.box.succeeded*.number == [1, 2, 3]
        after.builds.box.failed == 'shell (line 14)'

        when:
        Files.writeString(folder.resolve('four.sh'), "#!/bin/sh\necho 4 >> ${log}\n")
        def third = build(folder, template(true), ['--resume'])

        then:
        third.code == ExitCodes.OK
        ran() == ['1', '2', '3', '4', '5']
    }

    def "should say there is nothing to resume without a record, with an expired one, or when the machine is not the same"() {
        when:
        def none = build(folder, template(true), ['--resume'])

        then:
        none.code == ExitCodes.NOTHING_TO_RESUME
        none.err.contains("Error: nothing to resume: there is no resume record ${record()}")

        when:
        build(folder, template(false), ['--on-error=abort'])
        Map json = new JsonSlurper().parse(record()) as Map
        json.expires = '2020-01-01T00:00:00Z'
        Files.writeString(record(), JsonOutput.toJson(json))
        def expired = build(folder, template(true), ['--resume'])

        then:
        expired.code == ExitCodes.NOTHING_TO_RESUME
        expired.err.contains("Error: the resume record ${record()} expired at 2020-01-01T00:00:00Z")

        when: 'the record pins another host key: the machine there is not the one kept'
        json.expires = '2999-01-01T00:00:00Z'
        json.builds.box.hostKey = 'SHA256:' + 'A' * 43
        Files.writeString(record(), JsonOutput.toJson(json))
        def other = build(folder, template(true), ['--resume'])

        then:
        other.code == ExitCodes.NOTHING_TO_RESUME
        other.out.contains('the kept machine imagebake-test@127.0.0.1:' + sshd.port + ' (host key SHA256:'
                + 'A' * 43 + ') is gone or no longer the same')
        other.err.contains('Error: nothing to resume for box: the kept machine is gone; build afresh without --resume')
        ran() == ['1', '2']
    }

    def "--from without --resume is refused"() {
        when:
        def run = build(folder, template(true), ['--from', '2'])

        then:
        run.code == ExitCodes.INVALID
        run.err.contains('Error: --from says where --resume starts again; give --resume too')
    }
}
