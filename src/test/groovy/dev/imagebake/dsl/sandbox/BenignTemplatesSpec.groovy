package dev.imagebake.dsl.sandbox

import dev.imagebake.dsl.EvaluationResult
import dev.imagebake.dsl.TemplateHarness
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Year
import java.time.ZoneOffset

/**
 * Ordinary Groovy that templates use must keep working inside the sandbox: each template here builds a plan whose
 * content is checked exactly, so a sandbox rule that refuses (or changes) everyday code shows up here.
 */
class BenignTemplatesSpec extends Specification {
    static final String SSH = "builder ssh { host '10.0.0.5'; user 'ubuntu'; password 'pw'; insecureHostKey true }\n"

    @TempDir
    Path folder

    def "should build a plan from plain values held in local variables"() {
        when:
        def result = evaluate('''
            def address = '10.1.2.3'
            def sshPort = 2222
            def login = 'deploy'
            def secure = false
            builder ssh {
                host address
                port sshPort
                user login
                password 'pw'
                insecureHostKey !secure
            }
            provision shell { inline 'echo ready' }
        ''')

        then:
        def builder = result.plan().builds()[0].builder()
        builder.host() == '10.1.2.3'
        builder.port() == 2222
        builder.user() == 'deploy'
        builder.insecureHostKey()
        commands(result) == [['echo ready']]
    }

    def "should render strings and GStrings, turning each GString into text once, when it is built"() {
        when:
        def result = evaluate(SSH + '''
            def name = 'web'
            def version = 3
            def later = 'first'
            def lazy = "${-> later}"
            later = 'second'
            provision shell {
                inline "echo ${name}-v${version}", 'echo single', "echo ${name.toUpperCase()} \\$HOME", "echo $lazy",
                        "echo ${[1, 2]} ${[a: 1]}"
            }
        ''')

        then:
        commands(result) == [['echo web-v3', 'echo single', 'echo WEB $HOME', 'echo first', 'echo [1, 2] [a:1]']]
    }

    def "should keep multi-line strings, with indentation stripped where asked"() {
        when:
        def result = evaluate(SSH + """
            def site = 'example.org'
            def config = '''\\
                server {
                  listen 80;
                }'''.stripIndent()
            def script = \"\"\"\\
                |echo start
                |echo \${site}
                |\"\"\".stripMargin()
            provision shell { inline config, script }
        """)

        then:
        commands(result) == [['server {\n  listen 80;\n}', 'echo start\necho example.org\n']]
    }

    def "should work with lists, maps and ranges"() {
        when:
        def result = evaluate(SSH + '''
            def packages = ['nginx', 'curl']
            def ports = [http: 80, https: 443]
            ports.admin = 8443
            ports['metrics'] = 9100
            def tiers = [web: [replicas: 2], db: [replicas: 1]]
            def numbers = (1..3)
            def letters = ('a'..'c')
            def all = packages + ['jq'] - ['curl']
            all << 'htop'
            provision shell {
                inline "apt-get install -y ${packages.join(' ')}"
                inline ports.collect { service, port -> "ufw allow ${port} # ${service}" }
                inline "replicas ${tiers.web.replicas + tiers.db.replicas}", "numbers ${numbers.toList()}"
                inline "letters ${letters.join()}", "all ${all}", "first ${all[0]} last ${all[-1]} slice ${all[0..1]}"
                inline "size ${ports.size()} has-http ${ports.containsKey('http')} in ${'jq' in all}"
            }
        ''')

        then:
        commands(result) == [['apt-get install -y nginx curl', 'ufw allow 80 # http', 'ufw allow 443 # https',
                              'ufw allow 8443 # admin', 'ufw allow 9100 # metrics', 'replicas 3',
                              'numbers [1, 2, 3]', 'letters abc', 'all [nginx, jq, htop]',
                              'first nginx last htop slice [nginx, jq]', 'size 4 has-http true in true']]
    }

    def "should call closures with parameters, defaults and currying"() {
        when:
        def result = evaluate(SSH + '''
            def greet = { who, greeting = 'hello' -> "echo ${greeting} ${who}" }
            def twice = { it * 2 }
            def compose = twice >> { n -> "echo ${n + 1}" }
            provision shell { inline greet('alice'), greet('bob', 'hi'), greet.curry('carol')(), compose(20) }
        ''')

        then:
        commands(result) == [['echo hello alice', 'echo hi bob', 'echo hello carol', 'echo 41']]
    }

    def "should run the collection methods templates use: each, collect, findAll, inject, join, groupBy, sort"() {
        when:
        def result = evaluate(SSH + '''
            def disks = [[name: 'data', size: 64], [name: 'logs', size: 16], [name: 'cache', size: 32]]
            def names = []
            disks.each { names << it.name }
            def big = disks.findAll { it.size >= 32 }.collect { it.name }
            def total = disks.inject(0) { sum, d -> sum + d.size }
            def bySize = disks.groupBy { it.size > 20 ? 'large' : 'small' }.collectEntries { k, v -> [(k): v*.name] }
            def sorted = disks.sort(false) { it.size }*.name
            def unique = [3, 1, 3, 2, 1].unique(false)
            provision shell {
                inline "names ${names.join(',')}", "big ${big}", "total ${total}", "groups ${bySize}"
                inline "sorted ${sorted}", "unique ${unique}", "any ${disks.any { it.size > 60 }}", "sum ${[1, 2, 3].sum()}"
            }
        ''')

        then:
        commands(result) == [['names data,logs,cache', 'big [data, cache]', 'total 112',
                              'groups [large:[data, cache], small:[logs]]', 'sorted [logs, cache, data]',
                              'unique [3, 1, 2]', 'any true', 'sum 6']]
    }

    def "should run for, while and do-while loops and classic for loops"() {
        when:
        def result = evaluate(SSH + '''
            def lines = []
            for (user in ['ann', 'bob']) {
                lines << "useradd ${user}"
            }
            for (String group in ['ops', 'dev']) {
                lines << "groupadd ${group.toUpperCase()}"
            }
            for (int i = 0; i < 3; i++) {
                lines << "mkdir /srv/${i}"
            }
            def n = 0
            while (n < 2) {
                n++
                lines << "echo while ${n}"
            }
            do {
                n--
            } while (n > 0)
            lines << "echo n=${n}"
            provision shell { inline lines }
        ''')

        then:
        commands(result) == [['useradd ann', 'useradd bob', 'groupadd OPS', 'groupadd DEV', 'mkdir /srv/0',
                              'mkdir /srv/1', 'mkdir /srv/2', 'echo while 1', 'echo while 2', 'echo n=0']]
    }

    def "should take conditionals, the ternary and elvis operators and safe navigation"() {
        when:
        def result = evaluate(SSH + '''
            def settings = [swap: 2, tz: null]
            def missing = null
            def mode
            if (settings.swap > 4) {
                mode = 'big'
            } else if (settings.swap > 1) {
                mode = 'medium'
            } else {
                mode = 'none'
            }
            provision shell {
                inline "swap ${mode}", "tz ${settings.tz ?: 'UTC'}", "size ${missing?.size()}"
                inline "flag ${settings.swap ? 'on' : 'off'}", "none ${!settings.tz}", "len ${missing?.name?.length() ?: 0}"
            }
        ''')

        then:
        commands(result) == [['swap medium', 'tz UTC', 'size null', 'flag on', 'none true', 'len 0']]
    }

    def "should switch on constant cases: values, lists, ranges and types"() {
        when:
        def result = evaluate(SSH + '''
            def describe(value) {
                switch (value) {
                    case 'ubuntu': return 'apt'
                    case ['rhel', 'rocky']: return 'dnf'
                    case 1..9: return 'small'
                    case String: return 'other'
                    default: return 'unknown'
                }
            }
            provision shell { inline(['ubuntu', 'rocky', 5, 'arch', 42.5].collect { "echo ${describe(it)}" }) }
        ''')

        then:
        commands(result) == [['echo apt', 'echo dnf', 'echo small', 'echo other', 'echo unknown']]
    }

    def "should call local helper functions, with default parameters and small recursion"() {
        when:
        def result = evaluate(SSH + '''
            def install(pkg, version = 'latest') { "apt-get install -y ${pkg}=${version}" }
            def factorial(n) { n <= 1 ? 1 : n * factorial(n - 1) }
            def fib(n) { n < 2 ? n : fib(n - 1) + fib(n - 2) }
            String quoted(value) { "'${value}'" }
            provision shell {
                inline install('nginx'), install('redis', '7.2'), "echo ${factorial(12)}", "echo ${fib(15)}"
                inline "echo ${quoted(42)}"
            }
        ''')

        then:
        commands(result) == [['apt-get install -y nginx=latest', 'apt-get install -y redis=7.2',
                              'echo 479001600', 'echo 610', "echo '42'"]]
    }

    def "should run the string methods templates use"() {
        when:
        def result = evaluate(SSH + '''
            def csv = 'alpha, beta,gamma'
            provision shell {
                inline 'echo ' + 'web'.toUpperCase(), "echo ${csv.split(',')*.trim()}", "echo ${'a-b_c'.replaceAll(/[-_]/, '.')}"
                inline "echo [${'7'.padLeft(3, '0')}]", "echo ${'one  two three'.tokenize()}", "echo ${'abc'.reverse()}"
                inline "echo ${'Hello'.startsWith('He')} ${'x' * 3} ${'path/to/file'.substring(5)} ${'  pad  '.trim()}"
                inline "echo ${'template'.encodeBase64()} ${'dGVtcGxhdGU='.decodeBase64().size()}"
            }
        ''')

        then:
        commands(result) == [['echo WEB', 'echo [alpha, beta, gamma]', 'echo a.b.c', 'echo [007]',
                              'echo [one, two, three]', 'echo cba', 'echo true xxx to/file pad',
                              'echo dGVtcGxhdGU= 8']]
    }

    def "should match small inputs with =~ and ==~"() {
        when:
        def result = evaluate(SSH + '''
            def version = 'release-1.24.3'
            def m = version =~ /(\\d+)\\.(\\d+)\\.(\\d+)/
            def major = m ? m[0][1] : 'none'
            provision shell {
                inline "major ${major}", "semver ${version ==~ /release-\\d+\\.\\d+\\.\\d+/}", "other ${'x' ==~ /\\d+/}"
                inline "found ${version.find(/\\d+/)}", "all ${version.findAll(/\\d+/)}", "in ${'abc' in ~/a.c/}"
            }
        ''')

        then:
        commands(result) == [['major 1', 'semver true', 'other false', 'found 1', 'all [1, 24, 3]', 'in true']]
    }

    def "should spread property reads and calls over lists with *."() {
        when:
        def result = evaluate(SSH + '''
            def hosts = [[name: 'web1', ip: '10.0.0.1'], [name: 'web2', ip: '10.0.0.2']]
            provision shell {
                inline "echo ${hosts*.name}", "echo ${hosts*.name*.toUpperCase()}", "echo ${hosts.ip}"
            }
        ''')

        then:
        commands(result) == [['echo [web1, web2]', 'echo [WEB1, WEB2]', 'echo [10.0.0.1, 10.0.0.2]']]
    }

    def "should read variables with var.name, from defaults and from given values"() {
        when:
        def result = evaluate(SSH + '''
            variable 'region', default: 'westeurope'
            variable 'workers', default: 2
            variable 'features', default: ['tls', 'gzip']
            variable 'labels', default: [team: 'web']
            provision shell {
                inline "echo ${var.region}", "echo ${var.workers + 1}", "echo ${var.features.join('+')}"
                inline "echo ${var.labels.team}", "echo ${var.features.size()}"
            }
        ''', [region: 'northeurope', workers: '5'])

        then:
        commands(result) == [['echo northeurope', 'echo 6', 'echo tls+gzip', 'echo web', 'echo 2']]
        result.plan().variables().collectEntries { [(it.name()): it.value()] } ==
                [region: 'northeurope', workers: 5L, features: ['tls', 'gzip'], labels: [team: 'web']]
    }

    def "should give timestamps and uuids"() {
        when:
        def result = evaluate(SSH + '''
            def stamp = timestamp('yyyyMMdd')
            provision shell { inline "echo ${stamp}", "echo ${timestamp()}", "echo ${uuid()}", "echo ${uuid()}" }
        ''')

        then:
        def lines = commands(result)[0]
        lines.size() == 4
        lines[0] ==~ /echo \d{8}/
        lines[0].substring(5, 9) as int in [Year.now(ZoneOffset.UTC).value - 1, Year.now(ZoneOffset.UTC).value]
        lines[1] ==~ /echo \d{14}/
        lines[1].substring(5, 13) == lines[0].substring(5)
        lines[2] ==~ /echo [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/
        lines[3] ==~ /echo [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/
        lines[2] != lines[3]
    }

    def "should read a file of the template's folder with file()"() {
        given:
        Files.createDirectories(folder.resolve('conf'))
        Files.writeString(folder.resolve('x.txt'), 'first line\nsecond line\n')
        Files.writeString(folder.resolve('conf/users.csv'), 'ann,admin\nbob,dev\n')

        when:
        def result = evaluate(SSH + '''
            def lines = file('x.txt').readLines()
            def users = file('conf/users.csv').readLines().collect { it.tokenize(',') }
            provision shell {
                inline "echo ${lines.size()} lines", "echo ${lines[1]}"
                inline users.collect { name, role -> "useradd -G ${role} ${name}" }
            }
        ''')

        then:
        commands(result) == [['echo 2 lines', 'echo second line', 'useradd -G admin ann', 'useradd -G dev bob']]
    }

    def "should generate several provision shell steps in a loop"() {
        when:
        def result = evaluate(SSH + '''
            def services = [nginx: 80, redis: 6379, postgresql: 5432]
            services.eachWithIndex { service, port, i ->
                provision shell {
                    inline "apt-get install -y ${service}", "systemctl enable ${service}"
                    inline "ufw allow ${port}/tcp"
                    if (i == 0) {
                        inline 'echo first service'
                    }
                }
            }
            provision shell { inline "echo installed ${services.keySet().join(' ')}" }
        ''')

        then:
        result.plan().builds()[0].steps()*.kind() == ['shell'] * 4
        commands(result) == [
                ['apt-get install -y nginx', 'systemctl enable nginx', 'ufw allow 80/tcp', 'echo first service'],
                ['apt-get install -y redis', 'systemctl enable redis', 'ufw allow 6379/tcp'],
                ['apt-get install -y postgresql', 'systemctl enable postgresql', 'ufw allow 5432/tcp'],
                ['echo installed nginx redis postgresql']]
    }

    def "should convert values to declared types and with as"() {
        when:
        def result = evaluate(SSH + '''
            String text = 42
            int count = '7' as int
            long big = 3
            Set tags = ['a', 'b', 'a']
            List ordered = tags as List
            Map defaults = [user: 'root']
            BigDecimal price = 1.5
            boolean on = [1]
            def (first, second) = ['x', 'y']
            (first, second) = [second, first]
            def word = 'abc'
            word++
            provision shell {
                inline "echo ${text.length()} ${count + 1} ${big * 2} ${tags} ${ordered} ${defaults.user}"
                inline "echo ${price * 2} ${on} ${first}${second} ${word} ${(int) 2.9} ${'12' as Integer}"
            }
        ''')

        then:
        commands(result) == [['echo 2 8 6 [a, b] [a, b] root', 'echo 3.0 true yx abd 2 12']]
    }

    def "should let a template change collections it built, nested in maps and lists"() {
        when:
        def result = evaluate(SSH + '''
            def config = [users: [], limits: [nofile: 1024]]
            config.users << 'ann'
            config.users.add('bob')
            config.limits.nproc = 512
            config.limits['nofile'] = 4096
            def matrix = [[1, 2], [3, 4]]
            matrix[1][0] = 30
            def copy = [] + config.users
            copy.remove('ann')
            provision shell {
                inline "echo ${config.users}", "echo ${config.limits}", "echo ${matrix}", "echo ${copy}"
            }
        ''')

        then:
        commands(result) == [['echo [ann, bob]', 'echo [nofile:4096, nproc:512]', 'echo [[1, 2], [30, 4]]',
                              'echo [bob]']]
    }

    def "should do arithmetic with integers, decimals and big numbers"() {
        when:
        def result = evaluate(SSH + '''
            def mem = 8 * 1024
            def half = mem / 2
            def ratio = 7 / 2
            def power = 2 ** 64
            def modulo = 17 % 5
            provision shell {
                inline "echo ${mem} ${half} ${ratio} ${power} ${modulo} ${10.intdiv(3)} ${3.7.round()} ${-5.abs()}"
            }
        ''')

        then:
        commands(result) == [['echo 8192 4096 3.5 18446744073709551616 2 3 4 -5']]
    }

    private EvaluationResult evaluate(String text, Map<String, Object> vars = [:]) {
        def result = TemplateHarness.evaluate(text.stripIndent(), vars, folder)
        assert result.diagnostics() == []
        assert result.plan() != null
        result
    }

    private static List<List<String>> commands(EvaluationResult result) {
        result.plan().builds()[0].steps().collect { it.spec().inline() }
    }
}
