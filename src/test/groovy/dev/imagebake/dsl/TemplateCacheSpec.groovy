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
    static final java.util.function.Consumer<String> NO_WARNINGS = { String line -> assert false, line }

    private EvaluationResult evaluate(TemplateCache cache, String text = TEMPLATE) {
        new TemplateEvaluator(Limits.DEFAULT, Clock.systemUTC(), cache)
                .evaluate(new TemplateSource('t.imagebake.groovy', dir, text), VariableInputs.NONE, new StringBuilder())
    }

    private List<Path> entries(Path folder) {
        Files.exists(folder) ? Files.list(folder).withCloseable { s -> s.filter { it.fileName.toString() != 'key' }.toList() } : []
    }

    def "an unchanged template is compiled once and then loaded from the cache, with the same plan"() {
        given:
        Path folder = dir.resolve('cache')
        def cache = TemplateCache.at(folder, 'imagebake-1', NO_WARNINGS)

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
        evaluate(TemplateCache.at(folder, 'imagebake-1', NO_WARNINGS))
        evaluate(TemplateCache.at(folder, 'imagebake-1', NO_WARNINGS), TEMPLATE + "provision shell { inline 'echo more' }\n")
        evaluate(TemplateCache.at(folder, 'imagebake-2', NO_WARNINGS))

        then:
        entries(folder).size() == 3
    }

    def "a damaged entry counts as a miss and is replaced"() {
        given:
        Path folder = dir.resolve('cache')
        def cache = TemplateCache.at(folder, 'imagebake-1', NO_WARNINGS)
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
        def result = evaluate(TemplateCache.at(folder, 'imagebake-1', NO_WARNINGS), 'builder ssh {')

        then:
        !result.ok()
        entries(folder).isEmpty()
    }
}

class TemplateCacheTrustSpec extends Specification {
    @TempDir
    Path dir

    static final String TEMPLATE = TemplateCacheSpec.TEMPLATE
    static final String OTHER = '''
builder ssh { host 'other-host'; user 'u'; password 'p'; insecureHostKey true }
'''

    List<String> warnings = []

    private TemplateCache cache(Path folder) {
        TemplateCache.at(folder, 'imagebake-1', { warnings << it } as java.util.function.Consumer)
    }

    private EvaluationResult evaluate(TemplateCache cache, String text = TEMPLATE) {
        new TemplateEvaluator(Limits.DEFAULT, Clock.systemUTC(), cache)
                .evaluate(new TemplateSource('t.imagebake.groovy', dir, text), VariableInputs.NONE, new StringBuilder())
    }

    private static Path onlyEntry(Path folder) {
        Files.list(folder).withCloseable { s -> s.filter { it.fileName.toString() ==~ /[0-9a-f]{64}/ }.toList() }
                .with { assert it.size() == 1; it[0] }
    }

    /** Bytecode an attacker compiled outside the sandbox: a template whose run() starts `touch MARKER`. */
    private static Map<String, byte[]> attackerBytecode(Path marker) {
        def unit = new org.codehaus.groovy.control.CompilationUnit()
        unit.addSource('Template', """
@groovy.transform.CompileStatic
class Template extends dev.imagebake.dsl.TemplateScript {
    Object run() {
        Object process = org.codehaus.groovy.runtime.InvokerHelper.invokeMethod('touch $marker', 'execute', null)
        org.codehaus.groovy.runtime.InvokerHelper.invokeMethod(process, 'waitFor', null)
        return null
    }
}
""")
        unit.compile(org.codehaus.groovy.control.Phases.CLASS_GENERATION)
        unit.classes.collectEntries { [(it.name): it.bytes] }
    }

    /** An entry as the cache lays it out: main class, classes, then a 32-byte tag (here one made without the key). */
    private static byte[] entryBytes(Map<String, byte[]> classes, byte[] tag) {
        def bytes = new ByteArrayOutputStream()
        new DataOutputStream(bytes).withCloseable { out ->
            out.writeUTF('Template')
            out.writeInt(classes.size())
            classes.each { name, code ->
                out.writeUTF(name)
                out.writeInt(code.length)
                out.write(code)
            }
            out.write(tag)
        }
        bytes.toByteArray()
    }

    def "should not run bytecode that someone without the key wrote into the cache, and compile from source instead"() {
        given: 'a cache entry for the template, overwritten with bytecode that would start a process'
        Path folder = dir.resolve('cache')
        evaluate(cache(folder))
        Path entry = onlyEntry(folder)
        Path marker = dir.resolve('process-ran')
        byte[] tag = new byte[32]
        new java.security.SecureRandom().nextBytes(tag)
        Files.write(entry, entryBytes(attackerBytecode(marker), tag))

        when:
        def result = evaluate(cache(folder))

        then: 'no process ran, and the plan is the template\'s own'
        !Files.exists(marker)
        result.ok()
        PlanJson.render(result.plan()).contains('h-A-B')
        warnings.isEmpty()
    }

    def "should not lend template bytecode the Groovy runtime's dynamic calls, however the bytecode got in"() {
        given:
        Path marker = dir.resolve('process-ran')
        def compiler = new dev.imagebake.dsl.sandbox.SandboxCompiler(TemplateScript)
        def type = compiler.load(new dev.imagebake.dsl.sandbox.SandboxCompiler.Compiled('Template',
                attackerBytecode(marker)))

        when:
        type.getDeclaredConstructor().newInstance().run()

        then:
        def e = thrown(NoClassDefFoundError)
        e.message == 'org/codehaus/groovy/runtime/InvokerHelper'
        !Files.exists(marker)
    }

    def "should reject an entry with one byte changed, and compile from source"() {
        given: "an entry whose constant 'h-' is changed to 'x-'"
        Path folder = dir.resolve('cache')
        evaluate(cache(folder))
        Path entry = onlyEntry(folder)
        byte[] bytes = Files.readAllBytes(entry)
        byte[] needle = [0, 2, 104, 45] as byte[] // the constant pool's UTF-8 entry "h-"
        int at = (0..bytes.length - needle.length).find { i -> (0..<needle.length).every { bytes[i + it] == needle[it] } }
        bytes[at + 2] = (byte) 120 // 'x'
        Files.write(entry, bytes)

        when:
        def result = evaluate(cache(folder))

        then:
        result.ok()
        PlanJson.render(result.plan()).contains('h-A-B')
        !PlanJson.render(result.plan()).contains('x-A-B')
        Files.readAllBytes(entry) != bytes
    }

    def "should ignore a cache that is not private to the user, with one warning: #problem"() {
        given: "an entry for the template that holds another template's bytecode, correctly signed"
        Path folder = dir.resolve('cache')
        def trusted = cache(folder)
        def compiler = new dev.imagebake.dsl.sandbox.SandboxCompiler(TemplateScript)
        trusted.put(TEMPLATE, compiler.compileToBytes(OTHER, 'other'))
        assert PlanJson.render(evaluate(cache(folder)).plan()).contains('other-host')
        Path entry = onlyEntry(folder)

        and:
        spoil(folder, entry)
        String path = (what == 'folder' ? folder : entry).toString()

        when:
        def first = evaluate(cache(folder))
        def second = evaluate(trusted)
        evaluate(trusted)

        then: 'the template is compiled from source, and the cache is neither used nor changed'
        PlanJson.render(first.plan()).contains('h-A-B')
        PlanJson.render(second.plan()).contains('h-A-B')
        warnings.size() == 2
        warnings[0] == "warning: ignoring the template cache: $path $message; compiling templates from source".toString()
        warnings[1] == warnings[0]

        where:
        problem                              | what     | spoil                                                  | message
        'folder writable by its group'       | 'folder' | { f, e -> chmod(f, 'rwxrwx---') }                      | 'is open to group or others (rwxrwx---)'
        'folder readable by others'          | 'folder' | { f, e -> chmod(f, 'rwx---r-x') }                      | 'is open to group or others (rwx---r-x)'
        'folder owned by another user'       | 'folder' | { f, e -> chown(f, 4242) }                             | 'belongs to uid 4242, not to you (uid 0)'
        'entry owned by another user'        | 'entry'  | { f, e -> chown(e, 4242) }                             | 'belongs to uid 4242, not to you (uid 0)'
        'entry readable by its group'        | 'entry'  | { f, e -> chmod(e, 'rw-r-----') }                      | 'is open to group or others (rw-r-----)'
    }

    def "should find the cache through XDG_CACHE_HOME or HOME from the environment"() {
        expect:
        TemplateCache.folderFor(env) == (expected == null ? null : Path.of(expected))

        where:
        env                                          | expected
        [XDG_CACHE_HOME: '/x/cache', HOME: '/home/u'] | '/x/cache/imagebake/templates'
        [HOME: '/home/u']                            | '/home/u/.cache/imagebake/templates'
        [XDG_CACHE_HOME: '', HOME: '/home/u']        | '/home/u/.cache/imagebake/templates'
        [:]                                          | null
    }

    def "should run every example template from the cache with only the runtime classes templates need"() {
        given:
        Path folder = dir.resolve('cache')
        def examples = Files.list(Path.of('dsl-examples')).withCloseable { s ->
            s.filter { it.toString().endsWith('.imagebake.groovy') }.sorted().toList()
        }

        expect: 'each is compiled and stored, then loaded from the cache, without a problem'
        examples.size() >= 3
        examples.collectMany { template ->
            def inputs = new VariableInputs.Builder([:])
            dev.imagebake.plan.ExamplePlansSpec.VARS.getOrDefault(template.fileName.toString() - '.imagebake.groovy', [:])
                    .each { k, v -> inputs.put(k, v, '-var') }
            (1..2).collectMany {
                new TemplateEvaluator(Limits.DEFAULT, Clock.systemUTC(), cache(folder))
                        .evaluate(TemplateSource.read(template), inputs.build(), new StringBuilder()).diagnostics()
                        .collect { it.toString() }
            }
        } == []
        warnings.isEmpty()
        Files.list(folder).withCloseable { s -> s.filter { it.fileName.toString() ==~ /[0-9a-f]{64}/ }.count() } ==
                examples.size()
    }

    private static void chmod(Path path, String mode) {
        Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString(mode))
    }

    private static void chown(Path path, int uid) {
        assert new ProcessBuilder('chown', String.valueOf(uid), path.toString()).inheritIO().start().waitFor() == 0
    }
}
