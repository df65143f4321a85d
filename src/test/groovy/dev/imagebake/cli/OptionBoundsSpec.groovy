package dev.imagebake.cli

import spock.lang.Specification
import spock.lang.TempDir
import spock.lang.Unroll

import java.nio.file.Files
import java.nio.file.Path

/** Numeric and duration options out of range are usage errors: exit 2 and a message naming the option. */
class OptionBoundsSpec extends Specification {
    @TempDir
    Path dir

    /** Runs in a thread of its own: before bounds were checked, an emulator given a bad value just ran. */
    private Map run(List<String> args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = -1
        def thread = Thread.start {
            code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                    args as String[])
        }
        thread.join(60_000)
        if (thread.alive) {
            thread.interrupt() // the emulator stops on an interrupt
            thread.join(30_000)
        }
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    @Unroll
    def "#command #option #value is refused as invalid usage"() {
        given:
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, "builder ssh { host 'h'; user 'u'; password 'p'; insecureHostKey true }\n")
        List<String> args = [command] + (command == 'emulator' ? ['--data', dir.resolve('emu').toString()] : []) +
                [option, value] + (command in ['validate', 'build', 'plan'] ? [template.toString()] : []) +
                (command == 'rollout' ? ['--image', 'x', '--scale-set', 'rg/ss'] : [])

        when:
        def r = run(args)

        then:
        r.code == 2
        r.err.readLines().first() == "Error: invalid value for option '${option}': ${message}".toString()
        !Files.exists(dir.resolve('emu').resolve('cloud.json'))

        where:
        command    | option                    | value   | message
        'emulator' | '--time-scale'            | '-1'    | '-1 is out of range: it takes more than 0'
        'emulator' | '--time-scale'            | '0'     | '0 is out of range: it takes more than 0'
        'emulator' | '--time-scale'            | 'NaN'   | 'NaN is not a finite number'
        'emulator' | '--port'                  | '99999' | '99999 is out of range: it takes 0 to 65535'
        'emulator' | '--port'                  | '-1'    | '-1 is out of range: it takes 0 to 65535'
        'emulator' | '--retry-after'           | '-2'    | '-2 is out of range: it takes 0 or more'
        'validate' | '--eval-timeout'          | '-1'    | '-1 is out of range: it takes more than 0 and at most 86400'
        'plan'     | '--eval-timeout'          | '0'     | '0 is out of range: it takes more than 0 and at most 86400'
        'build'    | '--parallel'              | '-1'    | '-1 is out of range: it takes 0 or more'
        'build'    | '--timeout'               | '0s'    | '0s is out of range: it takes more than 0 s'
        'build'    | '--timeout'               | '-5m'   | "'-5m' is not a duration; write it like 500ms, 30s, 10m or 1h30m"
        'gc'       | '--older-than'            | 'soon'  | "'soon' is not a duration; write it like 500ms, 30s, 10m or 1h30m"
        'rollout'  | '--max-batch-percent'     | '101'   | '101 is out of range: it takes 5 to 100'
        'rollout'  | '--max-unhealthy-percent' | '-1'    | '-1 is out of range: it takes 0 to 100'
        'rollout'  | '--health-timeout'        | '0s'    | '0s is out of range: it takes more than 0 s'
        'rollout'  | '--pause'                 | 'x'     | "'x' is not a duration; write it like 500ms, 30s, 10m or 1h30m"
    }

    def "a value in range is accepted"() {
        given:
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, "builder ssh { host 'h'; user 'u'; password 'p'; insecureHostKey true }\n")

        expect:
        run(['validate', '--eval-timeout', '0.5', template.toString()]).code == 0
    }
}
