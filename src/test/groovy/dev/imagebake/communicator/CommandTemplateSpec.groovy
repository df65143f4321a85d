package dev.imagebake.communicator

import spock.lang.Specification

import static dev.imagebake.communicator.CommandTemplate.Placeholder.ENV_VAR_FILE
import static dev.imagebake.communicator.CommandTemplate.Placeholder.PATH
import static dev.imagebake.communicator.CommandTemplate.Placeholder.VARS

/** Packer's placeholders, expanded for the quoting they stand in. */
class CommandTemplateSpec extends Specification {
    static final String VALUE = "it's \"q\" \$x \\ \nnl"

    static String expand(String command, Map env = [V: VALUE], String path = '/tmp/s.sh') {
        CommandTemplate.parse(command).expand([(PATH): path, (VARS): CommandTemplate.vars("%s='%s' ", env),
                                               (ENV_VAR_FILE): '/tmp/v.sh'])
    }

    /** What /bin/sh makes of a command line: the arguments echo prints, one per line. */
    static List<String> words(String command) {
        Process p = new ProcessBuilder('sh', '-c', 'for a in ' + command + '; do printf "%s\\0" "$a"; done').start()
        String out = p.inputStream.getText('UTF-8')
        assert p.waitFor() == 0
        out.split('\0') as List
    }

    def "the variables are formatted as Packer formats them: sorted, single quotes escaped"() {
        expect:
        CommandTemplate.vars("%s='%s' ", [B: 'b', A: "it's"]) == "A='it'\"'\"'s' B='b' "
        CommandTemplate.vars("export %s='%s'\n", [A: '100%']) == "export A='100%'\n"
        CommandTemplate.format('%s=%%%s', 'N', 'v') == 'N=%v'
    }

    def "placeholders are found with any spacing, in both spellings"() {
        expect:
        expand('{{.Path}} {{ .Path }} {{  .Path}} {{path}} {{ path }}') == '/tmp/s.sh ' * 4 + '/tmp/s.sh'
        CommandTemplate.parse('{{ env }} {{.Vars}} {{.EnvVarFile}} {{path}}').placeholders() == [PATH, VARS, ENV_VAR_FILE] as Set
    }

    def "unquoted, the variables are shell text and a path is one word"() {
        expect:
        expand('{{.Vars}}{{.Path}}') == "V='it'\"'\"'s \"q\" \$x \\ \nnl' /tmp/s.sh"
        expand('{{.Path}}', [:], '/tmp/a b.sh') == "'/tmp/a b.sh'"
    }

    def "inside quotes, the text is escaped so that the inner shell receives it unchanged"() {
        given:
        String vars = CommandTemplate.vars("%s='%s' ", [V: VALUE])

        expect: 'the outer shell turns the quoted argument back into exactly the variables and the path'
        words(expand("'{{ .Vars }} {{ .Path }}'")) == [vars + ' /tmp/s.sh']
        words(expand('"{{ .Vars }} {{ .Path }}"')) == [vars + ' /tmp/s.sh']
        words(expand("x'{{.Path}}'y\"{{.Path}}\"z")) == ['x/tmp/s.shy/tmp/s.shz']
        words(expand("'it'\\''s {{.Path}}'", [:], "/tmp/o'k")) == ["it's /tmp/o'k"]
    }

    def "escaped quotes do not open a quoted part"() {
        expect:
        expand("\\'{{.Path}}") == "\\'/tmp/s.sh"
        words(expand('"\\"{{.Vars}}"')) == ['"' + CommandTemplate.vars("%s='%s' ", [V: VALUE])]
    }

    def "an unknown placeholder is refused"() {
        when:
        CommandTemplate.parse('{{.Path}} {{ user `x` }}')

        then:
        def e = thrown(IllegalArgumentException)
        e.message.startsWith('unknown placeholder {{ user `x` }}')
    }

    def "envVarFormat problems"() {
        expect:
        CommandTemplate.formatProblem(format) == problem

        where:
        format             || problem
        "%s='%s' "         || null
        "export %s='%s'\n" || null
        '%s="%s" %%'       || null
        '%s'               || 'needs exactly two %s (the name, then the value); it has 1'
        '%s %s %'          || "has '%'; only %s (twice: the name, then the value) and %% may appear"
        '%v=%s'            || "has '%v'; only %s (twice: the name, then the value) and %% may appear"
    }
}
