package dev.imagebake.docs

import dev.imagebake.dsl.AnsibleContext
import dev.imagebake.dsl.AnsibleLocalContext
import dev.imagebake.dsl.AzureBuilderContext
import dev.imagebake.dsl.BastionContext
import dev.imagebake.dsl.BreakpointContext
import dev.imagebake.dsl.ChefClientContext
import dev.imagebake.dsl.ChefContext
import dev.imagebake.dsl.FileContext
import dev.imagebake.dsl.GossContext
import dev.imagebake.dsl.Helpers
import dev.imagebake.dsl.Keywords
import dev.imagebake.dsl.ManifestContext
import dev.imagebake.dsl.ScaleSetContext
import dev.imagebake.dsl.HealthContext
import dev.imagebake.dsl.OnErrorContext
import dev.imagebake.dsl.PuppetContext
import dev.imagebake.dsl.PuppetServerContext
import dev.imagebake.dsl.RebootContext
import dev.imagebake.dsl.SaltContext
import dev.imagebake.dsl.ShellContext
import dev.imagebake.dsl.ShellLocalContext
import dev.imagebake.dsl.SshBuilderContext
import dev.imagebake.dsl.StepTypes
import dev.imagebake.dsl.TemplateEvaluator
import dev.imagebake.dsl.TemplateHarness
import dev.imagebake.dsl.TemplateSource
import dev.imagebake.dsl.TopLevel
import dev.imagebake.dsl.sandbox.Limits
import dev.imagebake.util.Json
import groovy.transform.Immutable
import org.codehaus.groovy.ast.CodeVisitorSupport
import org.codehaus.groovy.ast.expr.ClosureExpression
import org.codehaus.groovy.ast.expr.Expression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.TupleExpression
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.Phases
import spock.lang.Specification
import spock.lang.TempDir

import java.lang.reflect.Modifier
import java.nio.file.Files
import java.nio.file.Path

/**
 * Evaluates every example in src/docs/language.md and checks that together they use every keyword of every block,
 * so that the language reference cannot drift from the code. Conventions for a ```groovy block's first line:
 * `// fragment` (not evaluated; keep these rare), `// variables file` (evaluated as a -var-file), and
 * `// run with: -var NAME=VALUE ...` (the values the example needs).
 */
class LanguageDocSpec extends Specification {
    static final Path DOC = Path.of('src/docs/language.md')

    /** The folder layout language.md shows under "Files and folders"; examples may name these files. */
    static final Map<String, String> FILES = [
            'files/site.conf'      : 'server { listen 80; }\n',
            'files/cloud-init.yaml': '#cloud-config\npackages: [nginx]\n',
            'scripts/setup.sh'     : '#!/bin/sh\napt-get update\n',
            'scripts/verify.sh'    : '#!/bin/sh\nsystemctl is-active nginx\n',
            'scripts/notify.sh'    : '#!/bin/sh\necho "built $IMAGEBAKE_BUILD_NAME"\n',
            'playbooks/site.yml'   : '- hosts: all\n  tasks: []\n',
            'puppet/manifests/site.pp'            : 'include web\n',
            'puppet/modules/web/manifests/init.pp': 'class web { }\n',
            'puppet/hiera.yaml'                   : '---\nversion: 5\n',
            'salt/top.sls'         : "base:\n  '*':\n    - web\n",
            'salt/web/init.sls'    : 'nginx:\n  pkg.installed\n',
            'pillar/top.sls'       : "base:\n  '*':\n    - web\n",
            'pillar/web.sls'       : 'port: 8080\n',
            'files/minion'         : 'file_client: local\n',
            'files/grains'         : 'role: web\n',
            'cookbooks/web/recipes/default.rb': 'package "nginx"\n',
            'chef/roles/web.json'  : '{"name": "web", "run_list": ["recipe[web]"]}\n',
            'chef/data_bags/users/deploy.json': '{"id": "deploy"}\n',
            'chef/environments/staging.json': '{"name": "staging"}\n',
            'chef/node.json'       : '{"run_list": ["recipe[web]"], "nginx": {"port": 8080}}\n',
            'chef/solo.rb.tmpl'    : 'chef_license "{{.ChefLicense}}"\ncookbook_path [{{.CookbookPaths}}]\n',
            'keys/data_bag_secret' : 'not-a-real-secret\n',
            'keys/validation.pem'  : '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n',
            'goss/goss.yaml'       : 'service:\n  nginx:\n    running: true\n',
            'goss/vars.yaml'       : 'port: 80\n',
            'puppet/certs/web-01.pem'       : '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
            'puppet/private_keys/web-01.pem': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
            'keys/id_ed25519'      : '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
            'files/user-data.txt'  : 'role=web\n',
            'keys/known_hosts'     : 'build-01.office.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n',
            // provision ansibleLocal
            'ansible/site.yml'                  : '- hosts: all\n  roles: [web]\n',
            'ansible/requirements.yml'          : '- src: ./web.tar.gz\n  name: web\n',
            'ansible/roles/web/tasks/main.yml'  : '- debug: msg=web\n',
            'ansible/group_vars/webservers.yml' : 'web_port: 8080\n',
            'ansible/host_vars/127.0.0.1.yml'   : 'greeting: hello\n',
            'ansible/playbooks/extra.yml'       : '- hosts: all\n  tasks: []\n',
            'ansible/inventory.ini'             : '[web]\n127.0.0.1\n',
    ]

    /** Every block of the language; a block's keywords are the public methods of its class. */
    static final List<Class<?>> BLOCKS = [TopLevel, OnErrorContext, AzureBuilderContext, SshBuilderContext,
                                          BastionContext, ShellContext, FileContext, ShellLocalContext,
                                          BreakpointContext, RebootContext, AnsibleContext, ManifestContext, ScaleSetContext,
                                          HealthContext, Helpers,
                                          PuppetContext, AnsibleLocalContext, SaltContext, ChefContext, ChefClientContext,
                                          GossContext, PuppetServerContext]

    /** Keywords that exist only to refuse, saying they are not supported yet; language.md must name them. */
    static final List<String> NOT_SUPPORTED_YET = ['SaltContext.formulas']

    static final List<Example> EXAMPLES = examples(Files.readAllLines(DOC))

    @TempDir
    Path folder

    def setup() {
        FILES.each { path, text ->
            Path file = folder.resolve(path)
            Files.createDirectories(file.parent)
            Files.writeString(file, text)
        }
        // `sshPrivateKeyFile` reads its key at validate: the examples' key must be a real one.
        Path key = folder.resolve('keys/id_ed25519')
        Files.delete(key)
        Process keygen = new ProcessBuilder('ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key.toString())
                .redirectErrorStream(true).start()
        assert keygen.waitFor() == 0, keygen.inputStream.text
    }

    def "the template example at language.md line #example.line should evaluate without errors"() {
        when:
        def result = TemplateHarness.evaluate(example.code, example.variables(), folder)

        then:
        result.diagnostics()*.toString() == []
        result.plan() != null

        where:
        example << EXAMPLES.findAll { it.isTemplate() }
    }

    def "the variables file example at language.md line #example.line should evaluate without errors"() {
        when:
        def result = new TemplateEvaluator(Limits.DEFAULT)
                .evaluateVarFile(new TemplateSource('example.vars.groovy', folder, example.code))

        then:
        result.diagnostics()*.toString() == []
        !result.values().isEmpty()

        where:
        example << EXAMPLES.findAll { it.language == 'groovy' && it.firstLine == '// variables file' }
    }

    def "the JSON example at language.md line #example.line should be a variables object"() {
        expect:
        Json.parse(example.code) instanceof Map

        where:
        example << EXAMPLES.findAll { it.language == 'json' }
    }

    def "every keyword of every block should be used in an evaluated example"() {
        given:
        Set<List> used = EXAMPLES.findAll { it.isTemplate() }.collectMany { keywordCalls(it.code) } as Set

        when:
        List<String> missing = BLOCKS.collectMany { block ->
            Keywords.of(block).findAll { keyword ->
                Class<?> declaredBy = declaringClass(block, keyword)
                !used.any { context, name -> name == keyword && declaredBy.isAssignableFrom(context) }
            }.collect { "${block.simpleName}.${it}".toString() }
        } - NOT_SUPPORTED_YET

        then:
        missing == []
        NOT_SUPPORTED_YET.every { Files.readString(DOC).contains("`${it.substring(it.indexOf('.') + 1)}`") }
    }

    def "the files the examples use should be the ones the document lists"() {
        expect:
        FILES.keySet().every { Files.readString(DOC).contains(it) }
    }

    // ---- reading the document ----------------------------------------------------------------------------------

    @Immutable
    static class Example {
        String language
        int line
        String code

        String getFirstLine() {
            code.readLines().find() ?: ''
        }

        boolean isTemplate() {
            language == 'groovy' && firstLine != '// fragment' && firstLine != '// variables file'
        }

        Map<String, Object> variables() {
            Map<String, Object> values = [:]
            if (firstLine.startsWith('// run with:')) {
                def assignment = firstLine =~ /-var (\w+)=(\S+)/
                while (assignment.find()) {
                    values[assignment.group(1)] = assignment.group(2)
                }
            }
            values
        }

        @Override
        String toString() {
            "line $line"
        }
    }

    /** The fenced code blocks, with the line of their first line of code. */
    static List<Example> examples(List<String> lines) {
        List<Example> found = []
        for (int i = 0; i < lines.size(); i++) {
            def fence = lines[i] =~ /^```(\w+)\s*$/
            if (fence.matches()) {
                int end = i + 1
                while (end < lines.size() && !lines[end].startsWith('```')) {
                    end++
                }
                found << new Example(fence.group(1), i + 2, lines.subList(i + 1, end).join('\n') + '\n')
                i = end
            }
        }
        found
    }

    // ---- which keywords an example uses ------------------------------------------------------------------------

    /**
     * [block class, keyword] for every call without a receiver in the template's main code, resolved the way the
     * evaluation resolves names: the innermost block's keywords, then the template's own functions, then the
     * helpers. A keyword's closure runs in the block its {@code @DelegatesTo} names.
     */
    static Set<List> keywordCalls(String code) {
        CompilationUnit unit = new CompilationUnit()
        unit.addSource('Example.groovy', code)
        unit.compile(Phases.CONVERSION)
        def module = unit.AST.modules[0]
        Set<String> functions = module.methods*.name as Set
        Set<List> calls = []
        Deque<Class<?>> blocks = new ArrayDeque<>([TopLevel])
        def visitor = new CodeVisitorSupport() {
            @Override
            void visitMethodCallExpression(MethodCallExpression call) {
                if (!call.implicitThis) {
                    super.visitMethodCallExpression(call)
                    return
                }
                String name = call.methodAsString
                Class<?> block = blocks.peek()
                Class<?> owner = Keywords.of(block).contains(name) ? block
                        : !functions.contains(name) && Keywords.of(Helpers).contains(name) ? Helpers : null
                if (owner != null) {
                    calls << [owner, name]
                }
                Class<?> inner = owner == null ? null : blockOf(owner, name)
                List<Expression> arguments = call.arguments instanceof TupleExpression
                        ? ((TupleExpression) call.arguments).expressions : [call.arguments]
                arguments.each { argument ->
                    if (argument instanceof ClosureExpression && inner != null) {
                        blocks.push(inner)
                        argument.code.visit(this)
                        blocks.pop()
                    } else {
                        argument.visit(this)
                    }
                }
            }
        }
        module.statementBlock.visit(visitor)
        calls
    }

    /** The block a keyword's closure runs in, from its {@code @DelegatesTo}. */
    static Class<?> blockOf(Class<?> owner, String keyword) {
        if (StepTypes.isAssignableFrom(owner) && keyword == 'file') {
            return FileContext // file(Object) takes a path or a block, so it has no @DelegatesTo
        }
        owner.methods.findAll { it.name == keyword }.collectMany { method ->
            method.parameterAnnotations.flatten().findAll { it instanceof DelegatesTo }*.value()
        }.find() as Class<?>
    }

    /** The class that declares a keyword: inherited keywords are shown once, in any block that inherits them. */
    static Class<?> declaringClass(Class<?> block, String keyword) {
        for (Class<?> c = block; c != null; c = c.superclass) {
            if (c.declaredMethods.any { it.name == keyword && Modifier.isPublic(it.modifiers) && !it.synthetic }) {
                return c
            }
        }
        throw new IllegalStateException("no public method $keyword in $block")
    }
}
