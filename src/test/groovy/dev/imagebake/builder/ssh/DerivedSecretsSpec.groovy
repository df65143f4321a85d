package dev.imagebake.builder.ssh

import dev.imagebake.cli.Main
import dev.imagebake.testsupport.LoopbackSshd
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

import static dev.imagebake.testsupport.TemplateRun.build
import static dev.imagebake.testsupport.TemplateRun.folderWithKey
import static dev.imagebake.testsupport.TemplateRun.sshBuilder

/**
 * Values a template computes from a sensitive one are sensitive too: none shows in the plan (text or JSON), the
 * console, the --json events or the log file, while the machine still gets the real values (a real sshd on
 * loopback writes what its shell step received to a file this spec reads).
 */
class DerivedSecretsSpec extends Specification {
    @Shared
    LoopbackSshd sshd = new LoopbackSshd()

    @Shared
    String hex = UUID.randomUUID().toString().take(8)

    @Shared
    String pw = "Canary-Xy7Q-${hex}-tail"

    /** Each form as the template writes it (pw is var.pw there) and, computed here, the value it must not show. */
    @Shared
    Map<String, List<String>> forms = [
            D_UPPER    : ['pw.toUpperCase()', pw.toUpperCase()],
            D_LOWER    : ['pw.toLowerCase()', pw.toLowerCase()],
            D_REVERSE  : ['pw.reverse()', pw.reverse()],
            D_SUBSTRING: ['pw.substring(3, 15)', pw.substring(3, 15)],
            D_REPLACE  : ["pw.replace('-', '_')", pw.replace('-', '_')],
            D_TRIM     : ["('  ' + pw.reverse().toUpperCase() + '  ').trim()", pw.reverse().toUpperCase()],
            D_SPLIT    : ["pw.split('-')[2]", hex],
            D_JOIN     : ["pw.split('-').join('+')", pw.split('-').join('+')],
            D_TAKE     : ['pw.take(10)', pw.take(10)],
            D_DROP     : ['pw.drop(12)', pw.drop(12)],
            D_GSTRING  : ['"id:${pw.take(4)}/${pw.drop(19)}"', "id:${pw.take(4)}/${pw.drop(19)}".toString()],
            D_PLUS     : ["pw.take(5) + '.' + pw.drop(12)", pw.take(5) + '.' + pw.drop(12)],
            D_TIMES    : ['pw.drop(12).take(4) * 3', pw.drop(12).take(4) * 3],
            D_COLLECT  : ['pw.collect { it.next() }.join()', pw.collect { it.next() }.join()],
            D_LIST     : ["[pw.reverse(), 'x'].join(':')", pw.reverse() + ':x'],
            D_MAP      : ["[k: pw.take(9)].collect { k, v -> k + '=' + v }.join()", 'k=' + pw.take(9)],
            D_BASE64   : ['"${pw.bytes.encodeBase64()}"', pw.bytes.encodeBase64().toString()],
            D_STRBASE64: ['pw.encodeBase64()', pw.bytes.encodeBase64().toString()],
            D_PADDED   : ["pw.reverse().padLeft(40, '.')", pw.reverse().padLeft(40, '.')],
    ]

    Path folder
    Path received

    def cleanupSpec() {
        sshd.close()
    }

    def setup() {
        folder = folderWithKey(sshd)
        received = Path.of("/tmp/imagebake-derived-${UUID.randomUUID()}.env")
    }

    def cleanup() {
        folder.toFile().deleteDir()
        Files.deleteIfExists(received)
    }

    String template() {
        """
variable 'pw', sensitive: true
""" + sshBuilder(sshd) + """
def pw = var.pw
def derived = [
${forms.collect { name, form -> "    ${name}: ${form[0]}," }.join('\n')}
]
println "evaluated \${pw.reverse()} and \${derived.D_JOIN}"
provision shell {
    env derived
    inline 'printenv | grep ^D_ | sort', 'printenv | grep ^D_ | sort > ${received}', 'chmod 644 ${received}'
}
"""
    }

    Map run(String... args) {
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, template())
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'),
                (args.toList() + ['-var', "pw=${pw}".toString(), file.toString()]) as String[])
        [code: code, out: out.toString('UTF-8'), text: out.toString('UTF-8') + err.toString('UTF-8')]
    }

    List<String> leaked(String text) {
        forms.findAll { name, form -> text.contains(form[1]) }.collect { name, form -> name }
    }

    def "no value derived from a sensitive one shows in the plan, as text or JSON"() {
        when:
        def text = run('plan')
        def json = run('plan', '--json')

        then:
        text.code == 0
        json.code == 0
        leaked(text.text) == []
        leaked(json.text) == []
        text.text.contains('D_REVERSE')
        new JsonSlurper().parseText(json.out).builds[0].steps[0].settings.env.D_REVERSE == '<sensitive>'
        text.text.contains('evaluated <sensitive> and <sensitive>')
    }

    def "no value derived from a sensitive one shows on the console, in --json events or in the log file, and the machine gets the real ones"() {
        given:
        Path log = folder.resolve('build.log')
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, template())

        when:
        def console = build(folder, template(), ['-var', "pw=${pw}".toString(), '--log-file', log.toString()])

        then:
        console.code == 0
        leaked(console.out + console.err) == []
        leaked(Files.readString(log)) == []
        (console.out + console.err).contains('D_REVERSE=<sensitive>')
        Files.readString(log).contains('D_REVERSE=<sensitive>')

        and: 'the shell step received every value as computed'
        Files.readAllLines(received).collectEntries { it.split('=', 2) as List } ==
                forms.collectEntries { name, form -> [name, form[1]] }

        when:
        Files.delete(received)
        def json = build(folder, template(), ['--json'], [IMAGEBAKE_VAR_pw: pw])

        then:
        json.code == 0
        json.out.readLines().every { new JsonSlurper().parseText(it).event }
        leaked(json.out + json.err) == []
        Files.readAllLines(received).size() == forms.size()
    }
}
