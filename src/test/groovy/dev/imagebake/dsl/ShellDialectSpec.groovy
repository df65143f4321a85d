package dev.imagebake.dsl

import spock.lang.Specification
import spock.lang.Unroll

/**
 * validate refuses bash-only syntax in inline commands that run under a POSIX sh (the default inlineShebang
 * '/bin/sh -e': dash on Debian and Ubuntu), at the construct's line and column, and leaves ordinary POSIX alone.
 */
class ShellDialectSpec extends Specification {
    static final String FIX = "(`inlineShebang`; dash on Debian and Ubuntu, where it fails): write inlineShebang '/bin/bash -e', or use"

    static List<String> errors(String step) {
        TemplateHarness.errors("""builder ssh {
    host 'h'
    user 'u'
    password 'p'
}
${step}
""")
    }

    @Unroll
    def "the bash construct in #line should be refused at its line and column"() {
        expect:
        errors("provision shell {\n    inline 'echo start', '${line}'\n}") == ["7:${column}: ${what} is bash, but the inline commands run with /bin/sh -e ${FIX} ${instead}".toString()]

        where:
        line                                 | column || what                                        | instead
        'if [[ -f /etc/x ]]; then echo; fi'  | 30     || '`[[ ... ]]`'                               | '`[ ... ]` (or `case` for patterns)'
        'source /etc/profile'                | 27     || '`source`'                                  | '`. FILE`'
        'pkgs=(nginx curl)'                  | 27     || 'an array (`NAME=(...)`)'                   | 'separate variables, or `set -- ...` for a list'
        'echo "${pkgs[@]}"'                  | 33     || 'an array (`${NAME[...]}`)'                 | 'separate variables, or `set -- ...` and `"$@"` for a list'
        'function retry { "$@"; }'           | 27     || '`function NAME`'                           | '`NAME() { ...; }`'
        'grep -q x <<< "$text"'              | 37     || 'a here-string (`<<<`)'                     | "a here-document, or `printf '%s\\n' ... |`"
        'echo "${name//-/_}"'                | 33     || '`${NAME/pattern/replacement}`'             | '`$(printf \'%s\' "$NAME" | sed \'s/pattern/replacement/\')`'
        'echo ${version:0:3}'                | 32     || '`${NAME:offset}`'                          | '`cut`, or `${NAME#...}` and `${NAME%...}`'
        'apt-get update &>/dev/null'         | 42     || '`&>` (output and errors to one file)'      | '`>FILE 2>&1` (under sh, `&>` puts the command in the background)'
        'if [ "$a" == "b" ]; then :; fi'     | 37     || '`==` in `[ ]`'                             | '`=`'
        'shopt -s nullglob'                  | 27     || 'a bash builtin (`declare`, `typeset`, `shopt`, `pushd` or `popd`)' | 'plain assignments and `cd`'
    }

    def "the brief's example: a #!/bin/sh line, source and [[ should be refused at each construct"() {
        expect:
        errors("provision shell { inline '#!/bin/sh', 'source /etc/profile', '[[ -f x ]]' }") == [
                "6:40: `source` is bash, but the inline commands run with /bin/sh -e ${FIX} `. FILE`".toString(),
                "6:63: `[[ ... ]]` is bash, but the inline commands run with /bin/sh -e ${FIX} `[ ... ]` (or `case` for patterns)".toString()]
    }

    def "a line of a multi-line inline command should be pointed at on its own line"() {
        expect:
        errors("provision shell {\n    inlineShebang '/bin/sh -e'\n    inline '''set -e\n  apt-get update\n  [[ -d /opt ]] || mkdir /opt\n'''\n}") ==
                ["10:3: `[[ ... ]]` is bash, but the inline commands run with /bin/sh -e ${FIX} `[ ... ]` (or `case` for patterns)".toString()]
    }

    def "a first inline command #!/bin/bash should be refused: it is only a comment in the inline script"() {
        expect:
        errors("provision shell { inline '#!/bin/bash', '[[ -f x ]] && echo yes' }") == [
                "6:27: `inline` starts with '#!/bin/bash', which is only a comment here: the inline commands become a script whose first line is #!/bin/sh -e (`inlineShebang`); write inlineShebang '/bin/bash -e' instead"]
    }

    def "bash syntax should be accepted under a bash inlineShebang, and scripts should not be checked"() {
        expect:
        errors("provision shell {\n    inlineShebang '/bin/bash -e'\n    inline '[[ -f x ]] && source /etc/profile'\n}") == []
        errors("provision shell {\n    inlineShebang '/usr/bin/env bash'\n    inline 'arr=(a b)'\n}") == []
    }

    def "ordinary POSIX lines should pass"() {
        given: "lines from real provisioning scripts, and bash-looking text that is quoted, commented or data"
        List<String> posix = [
                'set -eu',
                'export DEBIAN_FRONTEND=noninteractive',
                'sudo apt-get update -y && sudo apt-get install -y nginx curl',
                'if [ -f /etc/os-release ]; then . /etc/os-release; fi',
                'if [ "$ID" = "ubuntu" ]; then echo ubuntu; fi',
                'test "$(id -u)" -eq 0 || exec sudo "$0" "$@"',
                'for f in /etc/*.conf; do echo "$f"; done',
                'while read -r line; do echo "$line"; done < /etc/hosts',
                'case "$1" in start|stop) echo ok ;; *) exit 1 ;; esac',
                'x=$(uname -r); echo "${x%%-*}" "${x#*.}" "${HOME:-/root}" "${#x}"',
                'retry() { n=0; until "$@"; do n=$((n+1)); [ $n -ge 5 ] && return 1; sleep 2; done; }',
                'echo "[[ not a test ]]" \'source of truth\' "<<<" "arr=(1 2)"',
                '# function f { and [[ in a comment',
                'cat > /etc/motd <<EOF\n[[ built by imagebake ]]\nsource: ${BUILD}\nEOF',
                'cat <<-\'END\' > /tmp/x\n\tfunction g { :; }\n\tEND',
                'printf \'%s\\n\' "a" "b" | tr -d \'[[:space:]]\'',
                'tr -s "[:space:]" < /tmp/in > /tmp/out',
                'sed -i \'s/^#\\(PermitRootLogin\\).*/\\1 no/\' /etc/ssh/sshd_config',
                'echo $((1 + 2)) > /tmp/sum 2>&1',
                'ls /nonexistent >/dev/null 2>&1 || true',
                'command -v curl >/dev/null && curl -fsS https://example.com -o /tmp/x',
                'usermod -aG docker "$USER"',
                'systemctl enable --now nginx',
                'awk \'$1 == "x" { print $2 }\' /etc/hosts',
                'find / -xdev -name "*.log" -exec rm -f {} \\;',
                'local_var=1; echo $local_var',
                'sudo sh -c \'echo "[[ quoted ]]" > /tmp/y\'',
                'python3 -c \'import sys\nprint(sys.argv[1:])\' a b',
        ]

        expect:
        posix.each { line ->
            def found = ShellDialect.bashOnly(line.split('\n', -1) as List)
            assert found == [], "false positive on: ${line}"
        }
        errors("provision shell {\n    inline ${posix.collect { "'''${it.replace('\\', '\\\\')}'''" }.join(', ')}\n}") == []
    }

    def "a large inline command is checked in time that grows with its length, not with the rules times its length"() {
        given: "4 MB on one line, as a template that builds a big script might pass (the sandbox limits evaluation CPU)"
        def bean = java.lang.management.ManagementFactory.threadMXBean
        String plain = 'a' * 4_000_000
        String shell = 'echo hello && x=1 ; ' * 200_000
        ShellDialect.bashOnly([plain])

        when:
        long before = bean.currentThreadCpuTime
        def found = ShellDialect.bashOnly([plain]) + ShellDialect.bashOnly([shell])
        long cpuMillis = (bean.currentThreadCpuTime - before).intdiv(1_000_000)

        then: "before the rules looked for their text first, this took 2.5 s of CPU here"
        found == []
        cpuMillis < 1000
    }

    def "an executeCommand that hands the script to bash lets bash syntax through; one that uses sh does not"() {
        expect:
        errors("provision shell {\n    inline '[[ -f /etc/os-release ]] && echo ok'\n    executeCommand \"sudo -S env {{.Vars}} /bin/bash '{{.Path}}'\"\n}") == []
        errors("provision shell {\n    inline '[[ -f /etc/os-release ]] && echo ok'\n    executeCommand \"sudo sh -c '{{.Vars}} {{.Path}}'\"\n}").size() == 1
    }
}
