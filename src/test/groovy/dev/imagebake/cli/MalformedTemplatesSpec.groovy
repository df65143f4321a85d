package dev.imagebake.cli

import spock.lang.Specification

import java.nio.file.Files
import java.nio.file.Path

/**
 * Every template in src/test/resources/malformed has one mistake (a few have several, to show that all are reported
 * at once); NAME.expected next to it is exactly what `imagebake validate` must print on standard error. When a
 * message is improved on purpose, update its .expected file by hand and read the diff.
 */
class MalformedTemplatesSpec extends Specification {
    static final Path FOLDER = Path.of('src/test/resources/malformed')
    static final String SUFFIX = '.imagebake.groovy'
    /** Command-line arguments a template's mistake needs, before the template's path. */
    static final Map<String, List<String>> EXTRA_ARGUMENTS = [
            'var-undeclared-on-command-line': ['-var', 'region=northeurope'],
    ]

    def "should refuse #name with exactly the expected errors and no stack trace"() {
        given:
        def template = FOLDER.resolve(name + SUFFIX)
        def expected = Files.readString(FOLDER.resolve(name + '.expected'))

        when:
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'),
                (['validate'] + args + [template.toString()]) as String[])
        def printed = err.toString('UTF-8').replace(System.lineSeparator(), '\n')

        then:
        code == ExitCodes.INVALID
        printed == expected
        !printed.contains('at dev.')
        !printed.contains('Exception')
        !printed.contains('\tat ')
        out.size() == 0

        where:
        name << templateNames()
        args = EXTRA_ARGUMENTS.getOrDefault(name, [])
    }

    def "should hold at least 32 malformed templates, each with its expected output and nothing else"() {
        given:
        def files = Files.list(FOLDER).withCloseable { it.map { f -> f.fileName.toString() }.toList() } as Set

        expect:
        templateNames().size() >= 32
        files == (templateNames().collect { it + SUFFIX } + templateNames().collect { it + '.expected' }) as Set
        EXTRA_ARGUMENTS.keySet().every { it in templateNames() }
    }

    static List<String> templateNames() {
        Files.list(FOLDER).withCloseable { files ->
            files.map { it.fileName.toString() }.filter { it.endsWith(SUFFIX) }.map { it - SUFFIX }.sorted().toList()
        }
    }
}
