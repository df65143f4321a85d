package dev.imagebake.cli

import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

class CliSpec extends Specification {
    @TempDir
    Path dir

    static final String TEMPLATE = '''\
variable 'region', default: 'westeurope'
variable 'count', type: 'number', default: 1
variable 'token', sensitive: true, default: 'none'
builder ssh {
    host "h-${var.region}-${var.count}"
    user 'u'
    password var.token
    insecureHostKey true
}
provision shell { inline "echo ${var.region}" }
'''

    private Map run(Map<String, String> env = [:], String... args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true), new PrintStream(err, true), env, args)
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    private String template(String text = TEMPLATE) {
        Path file = dir.resolve('t.imagebake.groovy')
        Files.writeString(file, text)
        file.toString()
    }

    def "should print help listing the commands and the exit codes"() {
        when:
        def r = run('--help')

        then:
        r.code == 0
        r.out.contains('validate')
        r.out.contains('plan')
        r.out.contains('2    invalid template or invalid usage')
        !r.out.contains('train')
    }

    def "every command should have --help"() {
        expect:
        run(command, '--help').code == 0
        run(command, '--help').out.contains('TEMPLATE')
        run(command, '--help').out.replaceAll(/\s+/, ' ').contains('--eval-timeout=SECONDS CPU-time limit for '
                + 'evaluating the template (default: 10 s); a wall-clock backstop of 5 times that (at least 20 s more) '
                + 'stops one that waits.')

        where:
        command << ['validate', 'plan', 'build']
    }

    def "should exit 2 with usage for an unknown option"() {
        when:
        def r = run('validate', '--frobnicate', 'x')

        then:
        r.code == 2
        r.err.contains('Unknown option')
    }

    def "should validate a good template with a one-line summary"() {
        when:
        def r = run('validate', template())

        then:
        r.code == 0
        r.out == 'The template is valid: 1 build (ssh), 1 provisioning step.\n'
        r.err == ''
    }

    def "should exit 2 for a missing template file"() {
        when:
        def r = run('validate', dir.resolve('nope.imagebake.groovy').toString())

        then:
        r.code == 2
        r.err.contains('nope.imagebake.groovy:1:1: no such template file')
    }

    def "variables should follow the documented precedence: default < env < var-file < -var"() {
        given:
        Path json = dir.resolve('a.json')
        Files.writeString(json, '{"region": "from-json", "count": 2}')
        Path groovy = dir.resolve('b.groovy')
        Files.writeString(groovy, "region = 'from-groovy-file'\n")

        expect:
        hostOf(run([:], 'plan', '--json', template())) == 'h-westeurope-1'
        hostOf(run([IMAGEBAKE_VAR_region: 'from-env'], 'plan', '--json', template())) == 'h-from-env-1'
        hostOf(run([IMAGEBAKE_VAR_region: 'from-env'], 'plan', '--json', '-var-file', json.toString(), template())) ==
                'h-from-json-2'
        hostOf(run([:], 'plan', '--json', '-var-file', json.toString(), '-var-file', groovy.toString(), template())) ==
                'h-from-groovy-file-2'
        hostOf(run([IMAGEBAKE_VAR_region: 'from-env'], 'plan', '--json', '-var-file', json.toString(),
                '-var', 'region=from-cli', '-var', 'count=7', template())) == 'h-from-cli-7'
    }

    private static String hostOf(Map r) {
        assert r.code == 0: r.err
        new JsonSlurper().parseText(r.out).builds[0].builder.host
    }

    def "sensitive values should never be printed by plan, in text or JSON"() {
        when:
        def text = run('plan', '-var', 'token=hunter2-canary', template())
        def json = run('plan', '--json', '-var', 'token=hunter2-canary', template())

        then:
        text.code == 0
        json.code == 0
        !text.out.contains('hunter2-canary')
        !json.out.contains('hunter2-canary')
        text.out.contains('<sensitive>')
        new JsonSlurper().parseText(json.out).builds[0].builder.password == '<sensitive>'
    }

    def "build refuses options that would send it somewhere the user did not say, before evaluating anything"() {
        when:
        def r = run(args.collect { it == 'TEMPLATE' ? template() : it } as String[])

        then:
        r.code == 2
        r.err.readLines()[0] == message

        where:
        args                                                           | message
        ['build', '--emulator-data', 'd', 'TEMPLATE']                  | 'Error: --emulator-data is where --emulator keeps its state; give --emulator too'
        ['build', '--cloud', '/nonexistent/cloud.json', 'TEMPLATE']    | 'Error: no cloud file /nonexistent/cloud.json'
        ['build', '--parallel', '-1', 'TEMPLATE']                      | "Error: invalid value for option '--parallel': -1 is out of range: it takes 0 or more"
    }

    def "a cloud file whose endpoint nothing answers fails at once, naming the endpoint: #command"() {
        given: 'a cloud file for an emulator that is not running'
        def closed = new ServerSocket(0)
        int port = closed.localPort
        closed.close()
        Path cloud = dir.resolve('cloud.json')
        Files.writeString(cloud, """{"resourceManagerEndpoint": "https://127.0.0.1:${port}/"}""")

        when:
        long started = System.nanoTime()
        def r = run(([command, '--cloud', cloud.toString()] + extra) as String[])

        then:
        r.code == 2
        r.err.readLines()[0] == "Error: nothing answers at https://127.0.0.1:${port}/ (the resourceManagerEndpoint " +
                "of ${cloud}): Connection refused; is its emulator running? Start it with: imagebake emulator " +
                "--data ${dir.toAbsolutePath()}"
        (System.nanoTime() - started) < 10_000_000_000L

        where:
        command   | extra
        'gc'      | ['--dry-run']
        'rollout' | ['--image', '/x', '--scale-set', 'rg/vmss']
    }

    def "a wrongly typed -var should be reported at the variable's declaration"() {
        when:
        def r = run('validate', '-var', 'count=many', template())

        then:
        r.code == 2
        r.err.contains("t.imagebake.groovy:2:1: variable `count` (number) from -var is not a valid number")
    }

    def "a bad JSON var file should be reported with its line and column"() {
        given:
        Path json = dir.resolve('bad.json')
        Files.writeString(json, '{\n  "region": oops\n}')

        when:
        def r = run('validate', '-var-file', json.toString(), template())

        then:
        r.code == 2
        r.err.contains("bad.json:2:13: invalid JSON: unexpected character 'o'")
    }

    def "a Groovy var file runs in the sandbox and may only assign values"() {
        given:
        Path groovy = dir.resolve('v.groovy')
        Files.writeString(groovy, "region = 'x'\nprintln new File('/etc/passwd').text\n")

        when:
        def r = run('validate', '-var-file', groovy.toString(), template())

        then:
        r.code == 2
        r.err.contains('v.groovy:2:')
        r.err.contains('sandbox:')
        !r.err.contains('root:')
    }

    def "plan --json should follow schema version 1"() {
        when:
        def r = run('plan', '--json', template())
        def plan = new JsonSlurper().parseText(r.out)

        then:
        r.code == 0
        plan.schemaVersion == 1
        plan.variables*.name == ['region', 'count', 'token']
        plan.variables[0].source == 'default'
        plan.builds[0].name == 'ssh'
        plan.builds[0].type == 'ssh'
        plan.builds[0].steps[0].kind == 'shell'
        plan.builds[0].steps[0].runsOn == 'machine'
        plan.builds[0].steps[0].settings.inline == ['echo westeurope']
        plan.builds[0].steps[0].declaredAt == [file: template(), line: 10, column: 11]
    }

    def "a template that never ends should be stopped by --eval-timeout (CPU time) with exit 2"() {
        when:
        def r = run('validate', '--eval-timeout', '1', template('while (true) { }\n'))

        then:
        r.code == 2
        r.err =~ /(?m)^\S*t\.imagebake\.groovy:1:\d+: limit: evaluation used more than 1 s of CPU time \(raise it with / +
                /--eval-timeout\)$/
    }
}
