package dev.imagebake.dsl.sandbox

import dev.imagebake.dsl.EvaluationResult
import dev.imagebake.dsl.TemplateEvaluator
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.dsl.TemplateSource
import dev.imagebake.dsl.VariableInputs
import spock.lang.Specification
import spock.lang.TempDir

import java.lang.management.ManagementFactory
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

/**
 * Templates that try to get out of the sandbox, by technique family: compile-time execution, casts and coercions,
 * metaprogramming, reflection, nested evaluators, threads and processes, and denial of service. The families follow
 * the Jenkins script-security advisories and groovy-sandbox bypasses (AST transformations and {@code @Grab} running
 * at compile time, implicit casts calling constructors, metaclass and category tricks, reflection through
 * {@code getClass()}) and Groovy's own metaprogramming.
 *
 * <p>Every attempt must be refused, with a diagnostic at the line of the offending code, and must leave the host
 * untouched: a canary file it tries to create stays absent, a victim file stays intact, nothing new appears in the
 * template's folder, a marker system property stays unset, the only thread started is the evaluation's own, and a
 * secret in the environment the evaluation is given never reaches the template's output or errors. Placeholders in
 * the attempts: {@code CANARY}, {@code VICTIM} (paths in the template's folder), {@code MARKER} (the property's name),
 * {@code SECRET_NAME} (the environment variable's name) and {@code BUILDER} (where the builder goes, when not first).
 */
class SandboxEscapeSpec extends Specification {
    static final String SSH = "builder ssh { host '127.0.0.1'; user 'u'; password 'p'; insecureHostKey true }\n"
    static final String MARKER = 'imagebake.escape.marker'
    static final String SECRET_NAME = 'IMAGEBAKE_ESCAPE_CANARY'
    static final String SECRET = 'canary-' + UUID.randomUUID()
    /**
     * Denial-of-service attempts run under a short CPU-time limit; the sandbox must stop them itself, well before the
     * evaluator gives up on the thread (limit + 2 s of CPU time) and reports it stuck. Their cost is measured in the
     * evaluating thread's CPU time, not in wall-clock time, which a loaded machine stretches.
     */
    static final Duration DOS_TIMEOUT = Duration.ofSeconds(1)
    /**
     * Walking a value nested 2^40 times both burns CPU time and allocates an iterator per level; which of the two
     * limits trips first depends on how far the JIT has compiled the walk, so either is a correct refusal.
     */
    static final java.util.regex.Pattern CPU_OR_MEMORY = ~/limit: (evaluation used more than 1 s of CPU time|the template allocated more than 512 MiB of memory).*/
    // Rows that expect a particular work or size limit get a timeout factor of 5: building their input takes enough
    // CPU time that the time limit could otherwise fire first.

    @TempDir
    Path folder

    Path canary
    Path victim

    def setupSpec() {
        // Groovy's parser starts two cache-cleaner threads the first time it runs in a JVM; start them now, so that
        // the attempts below can require that an evaluation starts no thread but its own.
        TemplateHarness.evaluate(SSH + "provision shell { inline 'warm up' }")
    }

    def setup() {
        canary = folder.resolve('pwned')
        victim = folder.resolve('victim.txt')
        Files.writeString(victim, 'intact')
    }

    def "should reach the canaries through the legitimate doors, so that their absence below means something"() {
        when:
        def attempt = attempt('''
            variable 'token', default: env('SECRET_NAME'), sensitive: true
            provision shell { inline "echo ${file('victim.txt')}" }
        '''.stripIndent())

        then:
        attempt.result.diagnostics() == []
        attempt.result.plan().sensitiveValues() == ['p', SECRET] as Set
        attempt.result.plan().builds()[0].steps()[0].spec().inline() == ['echo intact']
        attempt.threadsStarted == 1
    }

    def "should refuse compile-time execution: #technique"() {
        when:
        def attempt = attempt(code)

        then:
        refusedAt(attempt, line, message)
        hostUntouched(attempt)

        where:
        technique                                    | line | message                                          | code
        '@Grab of a library'                         | 2    | 'sandbox: annotations are not allowed'           | '@Grab("commons-lang:commons-lang:2.6")\ndef x = 1'
        '@Grab on an import'                         | 2    | 'sandbox: imports are not allowed'               | '@Grab("commons-lang:commons-lang:2.6")\nimport org.apache.commons.lang.StringUtils\nprintln StringUtils.name'
        '@GrabConfig with the system class loader'   | 2    | 'sandbox: annotations are not allowed'           | '@GrabConfig(systemClassLoader = true)\n@Grab("a:b:1")\ndef x = 1'
        '@GrabResolver to a remote repository'       | 2    | 'sandbox: annotations are not allowed'           | '@GrabResolver(name = "evil", root = "http://127.0.0.1:9/")\ndef x = 1'
        '@ASTTest writing a file'                    | 2    | 'sandbox: annotations are not allowed'           | '@groovy.transform.ASTTest(value = { new File("CANARY").text = "x" })\ndef x = 1'
        '@ASTTest in the conversion phase'           | 2    | 'sandbox: annotations are not allowed'           | '@groovy.transform.ASTTest(phase = org.codehaus.groovy.control.CompilePhase.CONVERSION, value = { "touch CANARY".execute() })\ndef x = 1'
        'a class with a static initialiser'          | 2    | 'sandbox: declaring classes'                     | 'class Evil {\n    static { new File("CANARY").text = "x" }\n}\nnew Evil()'
        'a class with a main method'                 | 2    | 'sandbox: declaring classes'                     | 'class Evil {\n    static void main(String[] args) { "touch CANARY".execute() }\n}'
        'an anonymous class'                         | 2    | 'sandbox: '                                      | 'def r = new Runnable() { void run() { "touch CANARY".execute() } }\nr.run()'
        'a trait'                                    | 2    | 'sandbox: declaring classes'                     | 'trait Evil { def boom() { "touch CANARY".execute() } }'
        'an enum with a static block'                | 2    | 'sandbox: declaring classes'                     | 'enum Evil { A; static { "touch CANARY".execute() } }'
        'a record with a compact constructor'        | 2    | 'sandbox: declaring classes'                     | 'record Evil(String s) { Evil { "touch CANARY".execute() } }'
        'an interface with a default method'         | 2    | 'sandbox: declaring classes'                     | 'interface Evil { default void boom() { "touch CANARY".execute() } }'
        '@Field turning a variable into a field'     | 2    | 'sandbox: annotations are not allowed'           | '@groovy.transform.Field def f = new File("CANARY")'
        'an annotation on a local variable'          | 2    | 'sandbox: annotations are not allowed'           | '@groovy.transform.ASTTest(value = { System.exit(3) }) def y = 1'
        'an annotation on a parameter'               | 2    | 'sandbox: annotations are not allowed'           | 'def f(@groovy.transform.ASTTest(value = { System.exit(3) }) x) { x }\nf(1)'
        'an annotation on a closure parameter'       | 2    | 'sandbox: annotations are not allowed'           | 'def c = { @groovy.transform.ASTTest(value = { System.exit(3) }) y -> y }'
        'a type annotation'                          | 2    | 'sandbox: annotations are not allowed'           | 'List<@groovy.transform.ASTTest(value = { System.exit(3) }) String> l = []'
        '@CompileStatic on a function'               | 2    | 'sandbox: annotations are not allowed'           | '@groovy.transform.CompileStatic\ndef f() { "touch CANARY".execute() }\nf()'
        '@Memoized on a function'                    | 2    | 'sandbox: annotations are not allowed'           | '@groovy.transform.Memoized\ndef f() { 1 }'
        'a package statement'                        | 1    | 'sandbox: a package declaration is not allowed'  | 'package evil\nBUILDER'
        'an import'                                  | 2    | 'sandbox: imports are not allowed'               | 'import java.io.File\nnew File("CANARY").text = "x"'
        'a static import'                            | 2    | 'sandbox: imports are not allowed'               | 'import static java.lang.System.exit\nexit(3)'
        'a star import'                              | 2    | 'sandbox: imports are not allowed'               | 'import java.nio.file.*\nFiles.writeString(Paths.get("CANARY"), "x")'
        'an aliased import'                          | 2    | 'sandbox: imports are not allowed'               | 'import java.lang.Runtime as R\nR.runtime.exec("touch CANARY")'
        'a static function'                          | 2    | 'sandbox: functions in templates are plain'      | 'static def boom() { "touch CANARY".execute() }\nboom()'
        'a main function'                            | 2    | 'sandbox: a function may not be named `main`'    | 'def main(String[] args) { "touch CANARY".execute() }'
        'a run function replacing the script body'   | 2    | 'sandbox: a function may not be named `run`'     | 'def run() { "touch CANARY".execute() }'
    }

    def "should refuse implicit casts and coercions: #technique"() {
        when:
        def attempt = attempt(code)

        then:
        refusedAt(attempt, line, message)
        hostUntouched(attempt)

        where:
        technique                                    | line | message                                                     | code
        'as File'                                    | 2    | 'sandbox: the type `File` is not available'                 | 'def f = "CANARY" as File\nf.text = "x"'
        'a (File) cast'                              | 2    | 'sandbox: the type `File` is not available'                 | 'def f = (File) "CANARY"\nf.text = "x"'
        'a File-typed variable'                      | 2    | 'sandbox: the type `File` is not available'                 | 'File f = "CANARY"\nf << "x"'
        'a fully qualified File-typed variable'      | 2    | 'sandbox: the type `java.io.File` is not available'         | 'java.io.File f = "CANARY"'
        'as Path'                                    | 2    | 'sandbox: the type `java.nio.file.Path` is not available'   | 'def p = "CANARY" as java.nio.file.Path'
        'asType(File)'                               | 2    | 'Unknown name `File`'                                       | 'def f = "CANARY".asType(File)\nf.text = "x"'
        'a GString as File'                          | 2    | 'sandbox: the type `File` is not available'                 | 'def f = "${"CANARY"}" as File'
        'a closure as Runnable'                      | 2    | 'sandbox: the type `Runnable` is not available'             | 'def r = { "touch CANARY".execute() } as Runnable\nr.run()'
        'a map as Runnable'                          | 2    | 'sandbox: the type `Runnable` is not available'             | 'def r = [run: { "touch CANARY".execute() }] as Runnable\nr.run()'
        'a closure as Callable'                      | 2    | 'sandbox: the type `java.util.concurrent.Callable`'         | 'def c = { -> "touch CANARY".execute() } as java.util.concurrent.Callable'
        'a closure into an Iterable variable'        | 2    | 'sandbox: a closure cannot be turned into `Iterable`'       | 'Iterable items = { -> ["x"].iterator() }'
        'a map as Iterable'                          | 2    | 'sandbox: a map cannot be turned into `Iterable`'           | 'def items = [iterator: { -> [].iterator() }] as Iterable'
        'a map as Closure'                           | 2    | 'sandbox: a map cannot be turned into `Closure`'            | 'def c = [call: { -> "touch CANARY".execute() }] as Closure\nc()'
        'a map into a Closure variable'              | 2    | 'sandbox: a map cannot be turned into `Closure`'            | 'Closure c = [call: { -> "touch CANARY".execute() }]'
        'a map as Number'                            | 2    | 'sandbox: a map cannot be turned into `Number`'             | 'def n = [intValue: { -> 1 }] as Number\nprintln n + 1'
        'a string as Iterable'                       | 2    | 'sandbox: a string cannot be turned into `Iterable`'        | 'def items = "CANARY" as Iterable'
        'a File-typed function parameter'            | 2    | 'sandbox: the type `File` is not available'                 | 'def write(File f) { f.text = "x" }\nwrite("CANARY")'
        'a Runnable-typed function parameter'        | 2    | 'sandbox: the type `Runnable` is not available'             | 'def go(Runnable r) { r.run() }'
        'a File-typed function result'               | 2    | 'sandbox: the type `File` is not available'                 | 'File target() { "CANARY" }\ntarget().text = "x"'
        'a File-typed loop variable'                 | 2    | 'sandbox: the type `File` is not available'                 | 'for (File f in ["CANARY"]) { f.text = "x" }'
        'typed names declared together'              | 2    | 'sandbox: several names declared at once take no types'     | 'def (String path, b) = ["CANARY", 1]'
        'a String[] variable'                        | 2    | 'sandbox: the type `String[]` is not available'             | 'String[] parts = ["touch", "CANARY"]'
        'as String[]'                                | 2    | 'sandbox: the type `String[]` is not available'             | 'def parts = ["touch", "CANARY"] as String[]'
        'as Class'                                   | 2    | 'sandbox: the type `Class` is not available'                | 'def c = "java.lang.Runtime" as Class'
        'a generic type argument'                    | 2    | 'sandbox: the type `File` is not available'                 | 'List<File> files = []'
        'a cast inside a function'                   | 2    | 'sandbox: the type `ProcessBuilder` is not available'       | 'def f(x) { (ProcessBuilder) x }\nf(["touch", "CANARY"]).start()'
        'as LinkedList'                              | 2    | 'sandbox: the type `LinkedList` is not available'           | 'def l = ["CANARY"] as LinkedList'
    }

    def "should refuse metaprogramming: #technique"() {
        when:
        def attempt = attempt(code)

        then:
        refusedAt(attempt, line, message)
        hostUntouched(attempt)

        where:
        technique                                   | line | message                                                       | code
        'a string\'s metaClass'                     | 2    | 'sandbox: `metaClass` cannot be read from a string'           | '"x".metaClass.boom = { -> "touch CANARY".execute() }\n"x".boom()'
        'String.metaClass'                          | 2    | 'sandbox: `metaClass` cannot be read from a Class'            | 'String.metaClass.static.boom = { -> "touch CANARY".execute() }'
        'ExpandoMetaClass.enableGlobally'           | 2    | 'Unknown name `ExpandoMetaClass`'                             | 'ExpandoMetaClass.enableGlobally()'
        'a new ExpandoMetaClass'                    | 2    | 'sandbox: creating objects with `new`'                        | 'def emc = new ExpandoMetaClass(String)'
        'getMetaClass()'                            | 2    | 'sandbox: `getMetaClass` cannot be called on a string'        | '"x".getMetaClass().invokeMethod("touch CANARY", "execute", null)'
        'invokeMethod'                              | 2    | 'sandbox: `invokeMethod` cannot be called on a string'        | '"touch CANARY".invokeMethod("execute", null)'
        'getProperty'                               | 2    | 'sandbox: `getProperty` cannot be called on a map'            | 'println([:].getProperty("class"))'
        'setProperty'                               | 2    | 'sandbox: `setProperty` cannot be called on a map'            | '[:].setProperty("metaClass", null)'
        'a methodMissing function'                  | 2    | 'sandbox: a function may not be named `methodMissing`'        | 'def methodMissing(String name, args) { "touch CANARY".execute() }\nboom()'
        'a propertyMissing function'                | 2    | 'sandbox: a function may not be named `propertyMissing`'      | 'def propertyMissing(String name) { "touch CANARY".execute() }\nprintln boom'
        'a getProperty function'                    | 2    | 'sandbox: a function may not be named `getProperty`'          | 'def getProperty(String name) { "touch CANARY".execute() }'
        'an invokeMethod function'                  | 2    | 'sandbox: a function may not be named `invokeMethod`'         | 'def invokeMethod(String name, args) { "touch CANARY".execute() }'
        'a setMetaClass function'                   | 2    | 'sandbox: a function may not be named `setMetaClass`'         | 'def setMetaClass(mc) { }'
        'a category class'                          | 2    | 'sandbox: the class `org.codehaus.groovy.runtime.ProcessGroovyMethods` is not available' | 'use(org.codehaus.groovy.runtime.ProcessGroovyMethods) { "touch CANARY".execute() }'
        'use(String)'                               | 2    | 'Unknown keyword `use`'                                       | 'use(String) { "touch CANARY".execute() }'
        'with'                                      | 2    | 'sandbox: `with` cannot be called on a string'                | '"touch CANARY".with { it.execute() }'
        'tap'                                       | 2    | 'sandbox: `tap` cannot be called on a string'                 | '"touch CANARY".tap { it.execute() }'
        'identity'                                  | 2    | 'sandbox: `identity` cannot be called on a string'            | '"touch CANARY".identity { it.execute() }'
        'mixin of a runtime class'                  | 2    | 'sandbox: the class `org.codehaus.groovy.runtime.ProcessGroovyMethods` is not available' | 'String.mixin(org.codehaus.groovy.runtime.ProcessGroovyMethods)'
        'mixin'                                     | 2    | 'sandbox: `mixin` cannot be called on a Class'                | 'Integer.mixin(String)'
        'a method pointer .&'                       | 2    | 'sandbox: a method pointer (.&)'                              | 'def boom = "touch CANARY".&execute\nboom()'
        'a method reference ::'                     | 2    | 'sandbox: a method reference (::)'                            | 'def boom = String::valueOf'
        'setting a closure\'s delegate'             | 3    | 'sandbox: cannot set property `delegate` on a closure'        | 'def c = { -> execute() }\nc.delegate = "touch CANARY"\nc.resolveStrategy = Closure.DELEGATE_FIRST\nc()'
        'setDelegate'                               | 3    | 'sandbox: `setDelegate` cannot be called on a closure'        | 'def c = { -> execute() }\nc.setDelegate("touch CANARY")\nc()'
        'a closure\'s owner'                        | 2    | 'Unknown name `owner`'                                        | 'def c = { -> owner }\nprintln c()'
        'a closure\'s thisObject'                   | 2    | 'Unknown name `thisObject`'                                   | 'def c = { -> thisObject }\nprintln c()'
        'reading owner from outside'                | 3    | 'sandbox: `owner` cannot be read from a closure'              | 'def c = { -> }\nprintln c.owner'
        'reading owner with .@'                     | 3    | 'sandbox: direct field access (.@)'                           | 'def c = { -> }\nprintln c.@owner'
        'rehydrate'                                 | 2    | 'sandbox: `rehydrate` cannot be called on a closure'          | 'def c = { -> execute() }.rehydrate("touch CANARY", null, null)\nc()'
        'owner of a curried closure'                | 2    | 'sandbox: `getOwner` cannot be called on a closure'           | 'println({ -> }.curry().getOwner())'
        'spreading owner over closures'             | 2    | 'sandbox: `owner` cannot be read from a closure'              | 'println([{ -> }]*.owner)'
        'this'                                      | 2    | 'sandbox: `this` is not available'                            | 'println this.binding'
        'super'                                     | 2    | 'sandbox: `super` is not available'                           | 'println super.toString()'
        'a list index naming a property'            | 2    | 'sandbox: a list is indexed by position'                      | 'def owner = [{ -> }]["owner"][0]'
        'a string index naming a property'          | 2    | 'sandbox: a string is indexed by position'                    | 'println "abc"["class"]'
        'a regex match index naming a property'     | 2    | 'sandbox: a regex match is indexed by position'               | 'println(("a" =~ /a/)["class"])'
        'getAt naming a property'                   | 2    | 'sandbox: a list is indexed by position'                      | 'println([1].getAt("class"))'
        'putAt naming a property'                   | 3    | 'sandbox: a list is indexed by position'                      | 'def l = [[:]]\nl["metaClass"] = null'
        'changing a variable in place'              | 3    | 'sandbox: cannot call `leftShift` on a list from outside the template' | 'variable "v", default: ["x"]\nvar.v << "touch CANARY"'
        'the owner chain to the environment'        | 3    | 'sandbox: a list is indexed by position'                      | 'provision shell {\n    def block = [{ -> }]["owner"][0]\n    def ev = [[[block]["delegate"][0]]["evaluation"][0]]\n    println ev["inputs"][0]["environment"]["SECRET_NAME"]\n    inline "x"\n}'
    }

    def "should refuse reflection and access to classes: #technique"() {
        when:
        def attempt = attempt(code)

        then:
        refusedAt(attempt, line, message)
        hostUntouched(attempt)

        where:
        technique                                  | line | message                                                          | code
        'getClass().forName'                       | 2    | 'sandbox: `getClass` cannot be called on a string'               | '"x".getClass().forName("java.lang.Runtime").runtime.exec("touch CANARY")'
        '.class.forName'                           | 2    | 'sandbox: `class` cannot be read from a string'                  | '"x".class.forName("java.lang.Runtime")'
        'forName on a class literal'               | 2    | 'sandbox: `forName` cannot be called on a Class'                 | 'String.forName("java.lang.Runtime")'
        'Class.forName'                            | 2    | 'sandbox: the class `java.lang.Class` is not available'          | 'Class.forName("java.lang.Runtime").runtime.exec("touch CANARY")'
        'the script\'s class loader'               | 2    | 'sandbox: `this` is not available'                               | 'this.class.classLoader.loadClass("java.lang.Runtime")'
        'Runtime.getRuntime() fully qualified'     | 2    | 'Unknown name `java`'                                            | 'java.lang.Runtime.getRuntime().exec("touch CANARY")'
        'Runtime.runtime fully qualified'          | 2    | 'Unknown name `java`'                                            | 'java.lang.Runtime.runtime.exec("touch CANARY")'
        'Runtime.runtime.exec'                     | 2    | 'Unknown name `Runtime`'                                         | 'Runtime.runtime.exec("touch CANARY")'
        'System.getenv'                            | 2    | 'Unknown name `System`'                                          | 'println System.getenv("SECRET_NAME")'
        'System.getProperty'                       | 2    | 'Unknown name `System`'                                          | 'println System.getProperty("user.home")'
        'System.setProperty'                       | 2    | 'Unknown name `System`'                                          | 'System.setProperty("MARKER", "set")'
        'System.exit'                              | 2    | 'Unknown name `System`'                                          | 'System.exit(3)'
        'String.execute'                           | 2    | 'sandbox: `execute` cannot be called on a string'                | '"touch CANARY".execute()'
        'List.execute'                             | 2    | 'sandbox: `execute` cannot be called on a list'                  | '["touch", "CANARY"].execute()'
        'new ProcessBuilder'                       | 2    | 'sandbox: creating objects with `new`'                           | 'new ProcessBuilder("touch", "CANARY").start()'
        'ProcessBuilder by name'                   | 2    | 'Unknown name `ProcessBuilder`'                                  | 'ProcessBuilder.newInstance("touch", "CANARY").start()'
        'new File'                                 | 2    | 'sandbox: creating objects with `new`'                           | 'new File("CANARY").text = "x"'
        'deleting with new File'                   | 2    | 'sandbox: creating objects with `new`'                           | 'new File("VICTIM").delete()'
        'new URL().text'                           | 2    | 'sandbox: creating objects with `new`'                           | 'println new URL("file://VICTIM").text'
        'toURL().text'                             | 2    | 'sandbox: `toURL` cannot be called on a string'                  | 'println "file://VICTIM".toURL().text'
        'Files.readAllLines'                       | 2    | 'Unknown name `java`'                                            | 'println java.nio.file.Files.readAllLines(java.nio.file.Paths.get("VICTIM"))'
        'Files.delete'                             | 2    | 'Unknown name `java`'                                            | 'java.nio.file.Files.delete(java.nio.file.Path.of("VICTIM"))'
        'ClassLoader.getSystemClassLoader'         | 2    | 'Unknown name `ClassLoader`'                                     | 'ClassLoader.getSystemClassLoader().loadClass("java.lang.Runtime")'
        'Thread.currentThread'                     | 2    | 'Unknown name `Thread`'                                          | 'println Thread.currentThread().contextClassLoader'
        'MethodHandles'                            | 2    | 'sandbox: the class `java.lang.invoke.MethodHandles` is not available' | 'java.lang.invoke.MethodHandles.lookup()'
        'Unsafe'                                   | 2    | 'Unknown name `sun`'                                             | 'println sun.misc.Unsafe.theUnsafe'
        'InvokerHelper'                            | 2    | 'sandbox: the class `org.codehaus.groovy.runtime.InvokerHelper` is not available' | 'org.codehaus.groovy.runtime.InvokerHelper.invokeMethod("touch CANARY", "execute", null)'
        'ScriptBytecodeAdapter'                    | 2    | 'sandbox: the class `org.codehaus.groovy.runtime.ScriptBytecodeAdapter` is not available' | 'println org.codehaus.groovy.runtime.ScriptBytecodeAdapter.asType("CANARY", String)'
        'ProcessGroovyMethods'                     | 2    | 'sandbox: the class `org.codehaus.groovy.runtime.ProcessGroovyMethods` is not available' | 'org.codehaus.groovy.runtime.ProcessGroovyMethods.execute("touch CANARY")'
        'GroovySystem'                             | 2    | 'Unknown name `GroovySystem`'                                    | 'println GroovySystem.metaClassRegistry'
        'the sandbox runtime itself'               | 2    | 'sandbox: the class `dev.imagebake.dsl.sandbox.SandboxRuntime` is not available' | 'dev.imagebake.dsl.sandbox.SandboxRuntime.callImplicit(null, "execute", [], 1, 1)'
        'a class lent for reflection'              | 2    | 'sandbox: the class `jdk.internal.reflect.MethodAccessorImpl` is not available' | 'println jdk.internal.reflect.MethodAccessorImpl'
        'a static field'                           | 2    | 'sandbox: `MAX_VALUE` cannot be read from a Class'               | 'println Integer.MAX_VALUE'
        'a static field of String'                 | 2    | 'sandbox: `CASE_INSENSITIVE_ORDER` cannot be read from a Class'  | 'println String.CASE_INSENSITIVE_ORDER'
        'the class of a number'                    | 2    | 'sandbox: `class` cannot be read from a number'                  | 'println 1.class.classLoader'
        'the class of var'                         | 3    | 'sandbox: `getClass` cannot be called on Vars'                   | 'variable "x", default: 1\nprintln var.getClass()'
        'the name behind env()'                    | 2    | 'env(\'IMAGEBAKE_ESCAPE_CANARY\') can only be a variable\'s default' | 'println "${env("SECRET_NAME")}"'
        'a variable copied from the environment'   | 3    | 'sandbox: `class` cannot be read from a string'                  | 'variable "x", default: env("SECRET_NAME"), sensitive: true\nprintln var.x.class'
    }

    def "should refuse nested evaluators: #technique"() {
        when:
        def attempt = attempt(code)

        then:
        refusedAt(attempt, line, message)
        hostUntouched(attempt)

        where:
        technique                          | line | message                                            | code
        'evaluate'                         | 2    | 'Unknown keyword `evaluate`'                       | 'evaluate("\\"touch CANARY\\".execute()")'
        'evaluate by a computed name'      | 3    | 'Unknown keyword `evaluate`'                       | 'def name = "evaluate"\n"$name"("\\"touch CANARY\\".execute()")'
        'Eval.me'                          | 2    | 'Unknown name `Eval`'                              | 'Eval.me("\\"touch CANARY\\".execute()")'
        'groovy.util.Eval.me'              | 2    | 'Unknown name `groovy`'                            | 'groovy.util.Eval.me("\\"touch CANARY\\".execute()")'
        'new GroovyShell'                  | 2    | 'sandbox: creating objects with `new`'             | 'new GroovyShell().evaluate("\\"touch CANARY\\".execute()")'
        'new GroovyClassLoader'            | 2    | 'sandbox: creating objects with `new`'             | 'new GroovyClassLoader().parseClass("class X { static { \\"touch CANARY\\".execute() } }")'
        'the script\'s class loader'       | 2    | 'Unknown keyword `getClass`'                       | 'getClass().classLoader.parseClass("class X { }")'
        'Script.run'                       | 2    | 'Unknown keyword `run`'                            | 'run()'
        'the Script class'                 | 2    | 'sandbox: the class `groovy.lang.Script` is not available' | 'println groovy.lang.Script.methods'
        'binding'                          | 2    | 'Unknown name `binding`'                           | 'binding.setVariable("x", "touch CANARY")'
        'getBinding'                       | 2    | 'Unknown keyword `getBinding`'                     | 'println getBinding().variables'
        'invokeMethod on the script'       | 2    | 'Unknown keyword `invokeMethod`'                   | 'invokeMethod("evaluate", "\\"touch CANARY\\".execute()")'
        'this.evaluate'                    | 2    | 'sandbox: `this` is not available'                 | 'this.evaluate("\\"touch CANARY\\".execute()")'
        'javax.script'                     | 2    | 'sandbox: creating objects with `new`'             | 'new javax.script.ScriptEngineManager().getEngineByName("groovy").eval("1")'
        'javax.script by name'             | 2    | 'Unknown name `javax`'                             | 'println javax.script.ScriptEngineManager'
        'a template engine'                | 2    | 'sandbox: creating objects with `new`'             | 'new groovy.text.SimpleTemplateEngine().createTemplate("<%= \\"touch CANARY\\".execute() %>").make()'
    }

    def "should refuse threads and processes: #technique"() {
        when:
        def attempt = attempt(code)

        then:
        refusedAt(attempt, line, message)
        hostUntouched(attempt)

        where:
        technique                                | line | message                                                  | code
        'Thread.start'                           | 2    | 'Unknown name `Thread`'                                  | 'Thread.start { "touch CANARY".execute() }'
        'Thread.startDaemon'                     | 2    | 'Unknown name `Thread`'                                  | 'Thread.startDaemon { "touch CANARY".execute() }'
        'new Thread'                             | 2    | 'sandbox: creating objects with `new`'                   | 'new Thread({ "touch CANARY".execute() }).start()'
        'an executor'                            | 2    | 'Unknown name `java`'                                    | 'java.util.concurrent.Executors.newSingleThreadExecutor().submit { "touch CANARY".execute() }'
        'the common fork-join pool'              | 2    | 'Unknown name `java`'                                    | 'java.util.concurrent.ForkJoinPool.commonPool().execute { "touch CANARY".execute() }'
        'parallelStream'                         | 2    | 'sandbox: `parallelStream` cannot be called on a list'   | '[1, 2].parallelStream().forEach { "touch CANARY".execute() }'
        'stream'                                 | 2    | 'sandbox: `stream` cannot be called on a list'           | '[1, 2].stream().parallel().forEach { }'
        'sleep'                                  | 2    | 'Unknown keyword `sleep`'                                | 'sleep(60000)'
        'a function named sleep'                 | 2    | 'sandbox: a function may not be named `sleep`'           | 'def sleep(ms) { ms }'
        'Thread.sleep'                           | 2    | 'Unknown name `Thread`'                                  | 'Thread.sleep(60000)'
        'Object.wait'                            | 2    | 'sandbox: `wait` cannot be called on a map'              | '[:].wait(60000)'
        'notify'                                 | 2    | 'sandbox: `notify` cannot be called on a string'         | '"x".notify()'
        'synchronized'                           | 2    | 'sandbox: synchronized is not allowed'                   | 'synchronized ("x") { "x".wait() }'
        'a shutdown hook'                        | 2    | 'Unknown name `Runtime`'                                 | 'Runtime.runtime.addShutdownHook(null)'
        'a Timer'                                | 2    | 'sandbox: creating objects with `new`'                   | 'new Timer().schedule({ "touch CANARY".execute() } as TimerTask, 0)'
        'a shell through execute'                | 2    | 'sandbox: `execute` cannot be called on a list'          | '["sh", "-c", "touch CANARY"].execute().waitFor()'
        'execute inside a closure'               | 2    | 'sandbox: `execute` cannot be called on a string'        | 'def boom = { -> "touch CANARY".execute() }\nboom.call()'
        'execute inside a keyword block'         | 3    | 'sandbox: `execute` cannot be called on a string'        | 'provision shell {\n    inline "touch CANARY".execute().text\n}'
    }

    def "should stop denial of service: #technique"() {
        when:
        def attempt = attempt(code, DOS_TIMEOUT.multipliedBy(timeoutFactor))

        then:
        refusedAt(attempt, line, message)
        attempt.result.cpuTime() < DOS_TIMEOUT.multipliedBy(timeoutFactor).plusMillis(1900)
        hostUntouched(attempt)
        stillEvaluates()

        where:
        technique                                  | line | message                                                 | timeoutFactor | code
        'while (true)'                             | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'while (true) { }'
        'for (;;)'                                 | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'for (;;) { }'
        'do-while forever'                         | 3    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'def n = 0\ndo { } while (n == 0)'
        'endless recursion'                        | 2    | 'limit: functions and closures called each other more than 1000 levels deep' | 1 | 'def f(n) { f(n + 1) }\nf(0)'
        'endless recursion of a closure'           | 3    | 'limit: functions and closures called each other more than 1000 levels deep' | 1 | 'def c\nc = { n -> c(n + 1) }\nc(0)'
        '\'x\' * Integer.MAX_VALUE'                | 2    | 'sandbox: `MAX_VALUE` cannot be read from a Class'      | 1 | 'def s = "x" * Integer.MAX_VALUE'
        '\'x\' * 2147483647'                       | 2    | 'limit: a string of 2147483647 characters'              | 1 | 'def s = "x" * 2147483647'
        'doubling a string'                        | 3    | 'limit: a string of 8388608 characters'                 | 1 | 'def s = "x"\nwhile (true) { s = s + s }'
        'doubling a string with +='                | 3    | 'limit: a string of 8388608 characters'                 | 1 | 'def s = "x"\n40.times { s += s }'
        'padLeft(1e9)'                             | 2    | 'limit: a string of 1000000000 characters'              | 1 | 'def s = "x".padLeft(1e9)'
        '(1..1e9).toList()'                        | 2    | 'limit: a collection of 1000000000 elements'            | 1 | 'def l = (1..1e9).toList()'
        '[0] * 1e9'                                | 2    | 'limit: a collection of 1000000000 elements'            | 1 | 'def l = [0] * 1e9'
        '2G ** 100000000'                          | 2    | 'limit: the result of `power` would have about 100000000 bits' | 1 | 'def n = 2G ** 100000000'
        'squaring a big number'                    | 3    | 'limit: the result of `multiply` would have about 2000000 bits' | 1 | 'def x = 2G ** 999999\n12.times { x = x * x }'
        'a decimal power with a huge exponent'     | 2    | 'limit: the result of `power`'                          | 1 | 'def x = 1.0000001 ** 999999999'
        'a decimal power of a fraction'            | 2    | 'limit: the result of `power`'                          | 1 | 'def x = 0.5 ** 300000'
        'adding to a huge exponent'                | 3    | 'limit: a number of about 3321928092 bits'              | 1 | 'def x = 1e999999999\nprintln x + 1'
        'parsing a huge number'                    | 2    | 'limit: a number written with 300000 characters'        | 1 | 'def n = ("9" * 300000).toBigInteger()'
        'catastrophic regex with ==~'              | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'def r = ("a" * 40 + "!") ==~ /((a+)+)+$/'
        'catastrophic regex with =~ and find'      | 3    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'def m = ("a" * 40 + "!") =~ /((a+)+)+$/\nm.find()'
        'catastrophic regex with =~ in an if'      | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'if (("a" * 40 + "!") =~ /((a+)+)+$/) { println "match" }'
        'catastrophic regex with matches'          | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'def r = ("a" * 40 + "!").matches(/((a+)+)+$/)'
        'catastrophic regex with replaceAll'       | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'def r = ("a" * 40 + "!").replaceAll(/((a+)+)+$/, "b")'
        'catastrophic regex with in ~/.../'        | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'def r = ("a" * 40 + "!") in ~/((a+)+)+$/'
        'catastrophic regex with split'            | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'def r = ("a" * 40 + "!").split(/((a+)+)+$/)'
        'catastrophic regex with find'             | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | 'def r = ("a" * 40 + "!").find(/((a+)+)+$/)'
        'printing without end'                     | 2    | 'limit: the template printed more than 65536 characters' | 1 | 'while (true) { println "x" * 1000 }'
        'growing a map without end'                | 4    | 'limit: a collection of 1000001 elements'               | 5 | 'def m = [:]\ndef i = 0\nwhile (true) { m[i] = i; i++ }'
        'growing a list with add'                  | 3    | 'limit: a collection of 1000001 elements'               | 5 | 'def l = []\nwhile (true) { l.add(1) }'
        'a nested list rendered in a GString'      | 4    | 'limit: a string of 4194342 characters'                 | 1 | 'def l = []\n30.times { l = [l, l] }\nprintln "$l"'
        'a nested list rendered by println'        | 4    | 'limit: the value given to `println` would be 4194342 characters' | 1 | 'def l = []\n30.times { l = [l, l] }\nprintln l'
        'a nested list in a lazy GString'          | 4    | 'limit: a string of 4194342 characters'                 | 1 | 'def l = []\n30.times { l = [l, l] }\nprintln "${-> l}"'
        'a nested list converted to String'        | 4    | 'limit: a string of 4194342 characters'                 | 1 | 'def l = []\n30.times { l = [l, l] }\nString s = l'
        'a nested list through a typed loop'       | 4    | 'limit: a string of 4194342 characters'                 | 1 | 'def l = []\n30.times { l = [l, l] }\nfor (String s in [l]) { }'
        'a nested list handed to a keyword'        | 4    | 'limit: the value given to `variable` would be'         | 1 | 'def l = []\n30.times { l = [l, l] }\nvariable "x", default: l'
        'hashing a nested list'                    | 4    | CPU_OR_MEMORY                                           | 1 | 'def l = []\n40.times { l = [l, l] }\nl.hashCode()'
        'comparing nested lists'                   | 5    | CPU_OR_MEMORY                                           | 1 | 'def a = []\ndef b = []\n40.times { a = [a, a]; b = [b, b] }\nprintln a == b'
        'flattening a nested list'                 | 4    | 'limit: '                                               | 1 | 'def l = []\n40.times { l = [l, l] }\nl.flatten()'
        'a nested list in a set'                   | 4    | CPU_OR_MEMORY                                           | 1 | 'def l = []\n40.times { l = [l, l] }\n[l].toSet()'
        'a nested list as a map key'               | 5    | CPU_OR_MEMORY                                           | 1 | 'def l = []\n40.times { l = [l, l] }\ndef m = [:]\nm[l] = 1'
        'nested sets built by typed variables'     | 4    | CPU_OR_MEMORY                                           | 1 | 'def p = [1] as Set\ndef q = [2] as Set\n40.times { Set p2 = [p, q]; Set q2 = [p, q, 0]; p = p2; q = q2 }'
        'a list nested 200000 deep'                | 4    | 'limit: a value is nested more than 200 levels deep'    | 1 | 'def l = []\n200000.times { l = [l] }\nprintln "$l"'
        'a set of long strings'                    | 4    | 'limit: `toSet` would compare more than 67108864 characters' | 1 | 'def s = "a" * 4000000\ndef l = [s, s + ""] * 500000\nl.toSet()'
        'contains over long strings'               | 4    | 'limit: `contains` would compare more than 67108864 characters' | 1 | 'def s = "a" * 4000000\ndef l = [s] * 1000000\nl.contains("a" * 3999999 + "b")'
        'in over long strings'                     | 4    | 'limit: `in` would compare more than 67108864 characters' | 1 | 'def s = "a" * 4000000\ndef l = [s] * 1000000\nprintln(("a" * 3999999 + "b") in l)'
        'comparing lists of long strings'          | 4    | 'limit: `==` would compare more than 67108864 characters' | 3 | 'def s = "a" * 4000000\ndef l = [s] * 1000000\nprintln(l == [s + ""] * 1000000)'
        'unique() on long strings'                 | 4    | 'limit: `unique` would compare 10000 items holding'     | 5 | 'def s = "a" * 4000000\ndef l = [s, s + ""] * 5000\nl.unique()'
        'unique() on a huge list'                  | 3    | 'limit: `unique` on more than 10000 elements'           | 5 | 'def l = (1..1000000).toList()\nl.unique()'
        'unique() on lists of lists'               | 3    | 'limit: `unique` would compare 10000 items holding'     | 5 | 'def l = (1..10000).collect { [it] * 100 }\nl.unique()'
        'replace growing a string'                 | 2    | 'limit: a string of 4000000000 characters'              | 5 | 'def s = ("a" * 4000000).replace("a", "b" * 1000)'
        'replace doubling a string'                | 3    | 'limit: a string of 8000000 characters'                 | 5 | 'def s = "a" * 4000000\n12.times { s = s.replace("a", "aa") }'
        'replaceAll growing a string'              | 2    | 'limit: a string of'                                    | 1 | 'def s = ("a" * 4000000).replaceAll("a", "b" * 1000)'
        'expanding tabs'                           | 3    | 'limit: a string of'                                    | 5 | 'def s = "\\t" * 4000000\ns.expand(1000)'
        'joining with a long separator'            | 3    | 'limit: a string of'                                    | 1 | 'def l = [1] * 1000\nl.join("x" * 10000)'
        'summing lists'                            | 2    | 'limit: '                                               | 1 | 'def l = ([[1]] * 1000000).sum()'
        'collectMany of big ranges'                | 2    | 'limit: '                                               | 1 | '(1..1000).collectMany { (1..1000000) }'
        'a billion iterations'                     | 2    | 'limit: '                                               | 1 | '1000000000.times { }'
        'a comparator that never returns'          | 2    | 'limit: evaluation used more than 1 s of CPU time'      | 1 | '[1, 2].sort { a, b -> while (true) { }; 0 }'
    }

    def "should route every operator through the sandbox, so that each works or is refused where it is written"() {
        when:
        def attempt = attempt('''def x = 5
            println(-x); println(+x); println(~x); println(x >>> 1)
            def y = -8
            y >>>= 28
            println y
            println('a1b2'.find(/([a-z])(\\d)/) { all, l, d -> d + l })
            println('a1b2'.findAll(/\\d/) { it * 2 })
            println([1, 2, 3].subList(0, 2) == [1, 2])
        '''.stripIndent())

        then:
        attempt.result.diagnostics() == []
        attempt.output.readLines() == ['-5', '5', '-6', '2', '15', '1a', '[11, 22]', 'true']
        hostUntouched(attempt)
    }

    def "should refuse an operator on a value it does not apply to, at its line and column: #technique"() {
        when:
        def attempt = attempt(code)

        then:
        refusedAt(attempt, line, column, message)
        hostUntouched(attempt)

        where:
        technique                                  | line | column | message                                                      | code
        'unary minus on a string'                  | 3    | 9      | 'sandbox: the operator - needs a number, not a string'       | 'def s = "a"\ndef y = -s'
        'unary plus on a list'                     | 3    | 9      | 'sandbox: the operator + needs a number, not a list'         | 'def l = [1]\ndef y = +l'
        'bitwise negation of a list'               | 2    | 9      | 'sandbox: the operator ~ needs a whole number or a string, not a list' | 'def y = ~[1]'
        '>>> on a string'                          | 2    | 9      | 'sandbox: `rightShiftUnsigned` cannot be called on a string' | 'println("a" >>> 1)'
        '>>>= on a string'                         | 3    | 1      | 'sandbox: `rightShiftUnsigned` cannot be called on a string' | 'def s = "a"\ns >>>= 1'
        'an annotation on a for-in loop variable'  | 2    | 6      | 'sandbox: annotations are not allowed in a template'         | 'for (@groovy.transform.ASTTest(value = { System.exit(3) }) x in [1]) { }'
        'an annotation on a typed loop variable'   | 2    | 6      | 'sandbox: annotations are not allowed in a template'         | 'for (@groovy.transform.ASTTest(value = { System.exit(3) }) String x : ["a"]) { }'
    }

    def "should refuse, at its line and column and within bounded CPU time, what the limits missed before: #technique"() {
        when:
        def attempt = attempt(code, DOS_TIMEOUT.multipliedBy(timeoutFactor))

        then:
        refusedAt(attempt, line, column, message)
        attempt.result.cpuTime() < DOS_TIMEOUT.multipliedBy(timeoutFactor).plusMillis(1900)
        !attempt.result.diagnostics()[0].message().contains('\tat ')
        hostUntouched(attempt)
        stillEvaluates()

        where:
        technique                                  | line | column | message                                                         | timeoutFactor | code
        // sizes whose product or difference overflows a long: refused before anything is built
        'a string repeated 2^62 times'             | 2    | 9      | 'limit: a string of 9223372036854775807 characters is over'     | 1 | 'def s = "ab" * 4611686019427387904L'
        'a string repeated a BigInteger of times'  | 2    | 9      | 'limit: a string of 9223372036854775807 characters is over'     | 1 | 'def s = "ab" * (2G ** 64 + 2)'
        'a range wider than a long'                | 2    | 9      | 'limit: a collection of 9223372036854775807 elements is over'   | 1 | 'def r = (-2L..9223372036854775806L)'
        'a range of BigIntegers'                   | 2    | 9      | 'limit: a collection of 9223372036854775807 elements is over'   | 1 | 'def r = (0G..2G ** 64)'
        'a list repeated 2^62 times'               | 2    | 9      | 'limit: a collection of 9223372036854775807 elements is over'   | 1 | 'def l = [1, 2] * 4611686019427387904L'
        'a list index at the end of the longs'     | 3    | 1      | 'limit: a collection of 9223372036854775807 elements is over'   | 1 | 'def l = [1]\nl[9223372036854775807L] = 1'
        'tabs expanded 2^62 wide'                  | 2    | 9      | 'limit: a string of 9223372036854775807 characters is over'     | 1 | 'def s = "\\t\\t\\t\\t".expand(4611686019427387904L)'
        // work no checkpoint reached
        'find with a regex and a closure'          | 2    | 9      | 'limit: evaluation used more than 1 s of CPU time'              | 1 | 'def r = ("a" * 40 + "!").find(/((a+)+)+$/) { it }'
        'findAll with a regex and a closure'       | 2    | 9      | 'limit: evaluation used more than 1 s of CPU time'              | 1 | 'def r = ("a" * 40 + "!").findAll(/((a+)+)+$/) { it }'
        'hashing nested subList views'             | 4    | 9      | 'limit: evaluation used more than 1 s of CPU time'              | 1 | 'def v = [1]\n40.times { v = [v, v].subList(0, 2) }\nprintln v.hashCode()'
        'hashing nested asReversed views'          | 4    | 9      | 'limit: evaluation used more than 1 s of CPU time'              | 1 | 'def v = [1]\n40.times { v = [v, v].asReversed() }\nprintln v.hashCode()'
        'hashing a million big numbers'            | 5    | 1      | 'limit: evaluation used more than 1 s of CPU time'              | 1 | 'def b = 2G ** 999999\ndef l = [b] * 1000000\ndef m = [:]\nm[l] = 1'
        'a range to Infinity'                      | 2    | 9      | 'sandbox: a range cannot start or end at Infinity'              | 1 | 'println((0..("Infinity".toDouble())).size())'
        'a range to NaN'                           | 2    | 9      | 'sandbox: a range cannot start or end at NaN'                   | 1 | 'println((0..("NaN".toDouble())).size())'
        // source that takes long to compile, refused before the parser reads it
        '3,000 nested closures'                    | 2    | 509    | 'limit: brackets, braces, parentheses and GString values are nested more than 100 levels' | 1 | 'def x = ' + '{ -> ' * 3000 + '1' + ' }' * 3000
        'a 999,000-digit literal'                  | 2    | 9      | 'limit: a number literal of 999000 characters is over the limit of 1000' | 1 | 'def x = ' + '9' * 999000
        '2,000 nested GStrings'                    | 2    | 310    | 'limit: brackets, braces, parentheses and GString values are nested more than 100 levels' | 1 | 'def x = ' + '"${' * 2000 + '1' + '}"' * 2000
        'a 150,000-term + chain'                   | 2    | 4007   | 'limit: a chain of operators or calls is over the limit of 1000' | 1 | 'def x = ' + (['1'] * 150000).join(' + ')
        '150,000 unary minus signs'                | 2    | 1008   | 'limit: a chain of operators or calls is over the limit of 1000' | 1 | 'def x = ' + '-' * 150000 + '1'
        '2,001 closures, each a class to compile'  | 2    | 20000  | 'limit: the template has more than 2000 closures and blocks'    | 1 | 'def c = [' + '{ -> 1 }, ' * 2001 + ']'
    }

    def "should evaluate the classic catastrophic regex quickly, as Java's engine needs no backtracking for it: #operation"() {
        when:
        def attempt = attempt("println(${expression})", DOS_TIMEOUT)

        then:
        attempt.result.diagnostics() == []
        attempt.output == "${printed}${System.lineSeparator()}"
        attempt.result.cpuTime() < DOS_TIMEOUT
        hostUntouched(attempt)

        where:
        operation      | expression                                       | printed
        '==~'          | '("a" * 40 + "!") ==~ /(a+)+$/'                  | 'false'
        '=~ and find'  | '(("a" * 40 + "!") =~ /(a+)+$/).find()'          | 'false'
        'matches'      | '("a" * 40 + "!").matches(/(a+)+$/)'             | 'false'
        'replaceAll'   | '("a" * 40 + "!").replaceAll(/(a+)+$/, "b")'     | 'a' * 40 + '!'
        'in ~/.../'    | '("a" * 40 + "!") in ~/(a+)+$/'                  | 'false'
    }

    def "should still evaluate a normal template after every escape attempt"() {
        expect:
        stillEvaluates()
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    /** What one evaluation did: its result (with the CPU time it used), the threads it started and what it printed. */
    static final class Attempt {
        EvaluationResult result
        long threadsStarted
        Set<Thread> threadsLeft
        String output
    }

    /**
     * Evaluates {@code code} after a builder line (so that it starts on line 2), in the canary folder, with
     * {@link #SECRET} in the environment the way the CLI passes the process environment.
     */
    private Attempt attempt(String code, Duration timeout = Duration.ofSeconds(10)) {
        String text = (code.contains('BUILDER') ? code.replace('BUILDER', SSH) : SSH + code)
                .replace('CANARY', canary.toString()).replace('VICTIM', victim.toString())
                .replace('MARKER', MARKER).replace('SECRET_NAME', SECRET_NAME)
        def threads = ManagementFactory.threadMXBean
        Set<Thread> before = Thread.allStackTraces.keySet()
        long startedBefore = threads.totalStartedThreadCount
        def out = new StringBuilder()
        def result = new TemplateEvaluator(Limits.DEFAULT.withTimeout(timeout)).evaluate(
                new TemplateSource('t.imagebake.groovy', folder, text),
                new VariableInputs.Builder([(SECRET_NAME): SECRET]).build(), out)
        def attempt = new Attempt(result: result,
                threadsStarted: threads.totalStartedThreadCount - startedBefore, output: out.toString())
        attempt.threadsLeft = Thread.allStackTraces.keySet().findAll { !(it in before) && it.alive } as Set
        attempt
    }

    private static void refusedAt(Attempt attempt, int line, int column, String message) {
        refusedAt(attempt, line, message)
        assert attempt.result.diagnostics()[0].at().column() == column
    }

    private static void refusedAt(Attempt attempt, int line, Object message) {
        assert attempt.result.plan() == null
        assert !attempt.result.stuck()
        assert !attempt.result.diagnostics().isEmpty()
        def first = attempt.result.diagnostics()[0]
        assert first.at().line() == line
        if (message instanceof java.util.regex.Pattern) {
            assert first.message() ==~ message
        } else {
            assert first.message().startsWith(message as String)
        }
    }

    private void hostUntouched(Attempt attempt) {
        assert !Files.exists(canary)
        assert Files.readString(victim) == 'intact'
        assert folder.toFile().list() as List == ['victim.txt']
        assert System.getProperty(MARKER) == null
        assert attempt.threadsStarted == 1 // the evaluation's own thread, which has ended
        assert attempt.threadsLeft.isEmpty()
        assert !attempt.output.contains(SECRET)
        assert !attempt.result.diagnostics().any { it.message().contains(SECRET) }
    }

    /** The JVM is still healthy: a normal template evaluates, with the expected plan. */
    private void stillEvaluates() {
        def attempt = attempt('''
            def packages = ['nginx', 'curl']
            provision shell { inline packages.collect { "apt-get install -y ${it}" } }
        '''.stripIndent())
        assert attempt.result.diagnostics() == []
        assert attempt.result.plan().builds()[0].steps()[0].spec().inline() ==
                ['apt-get install -y nginx', 'apt-get install -y curl']
        assert attempt.threadsStarted == 1
    }
}
