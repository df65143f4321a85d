package dev.imagebake.cli

import dev.imagebake.util.IoErrors
import spock.lang.Specification
import spock.lang.TempDir
import spock.lang.Unroll

import java.nio.file.AccessDeniedException
import java.nio.file.FileAlreadyExistsException
import java.nio.file.FileSystemException
import java.nio.file.Files
import java.nio.file.Path

/** Problems with files are said in words, with the path; control characters are shown escaped, never raw. */
class FileMessagesSpec extends Specification {
    @TempDir
    Path dir

    private Map run(String... args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:], args)
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }

    def "a folder given as the template"() {
        given:
        Path folder = Files.createDirectory(dir.resolve('folder'))

        when:
        def r = run('validate', folder.toString())

        then:
        r.code == 2
        r.err == "${folder}:1:1: cannot read the template: it is a folder, not a file\n1 error.\n"
    }

    def "a folder given as a variables file"() {
        given:
        Path folder = Files.createDirectory(dir.resolve('vars'))
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, "builder ssh { host 'h'; user 'u'; password 'p'; insecureHostKey true }\n")

        when:
        def r = run('validate', '-var-file', folder.toString(), template.toString())

        then:
        r.code == 2
        r.err.contains("${folder}:1:1: cannot read the variables file: it is a folder, not a file")
    }

    def "emulator --data naming a file is a usage error that says so"() {
        given:
        Path file = Files.writeString(dir.resolve('not-a-folder'), 'x')

        when:
        def r = run('emulator', '--data', file.toString())

        then:
        r.code == 2
        r.err.readLines().first() == "Error: invalid value for option '--data': ${file} is a file; the emulator keeps its state in a folder"
    }

    @Unroll
    def "#character.name in a template is shown as #shown"() {
        given:
        Path template = dir.resolve('t.imagebake.groovy')
        Files.writeString(template, "x = 1\n" + (char) character.code + "\n")

        when:
        def r = run('validate', template.toString())

        then:
        r.code == 2
        r.err.contains("${template}:2:1: Unexpected character: '${shown}'")
        !r.err.chars.any { it < 0x20 && it != 10 || it == 0x7f }

        where:
        character                  | shown
        [name: 'NUL', code: 0]     | '\\u0000'
        [name: 'DEL', code: 0x7f]  | '\\u007f'
    }

    @Unroll
    def "IoErrors words #failure.class.simpleName as '#expected'"() {
        expect:
        IoErrors.describe(failure) == expected

        where:
        failure                                                               | expected
        new AccessDeniedException('/etc/shadow')                             | '/etc/shadow: permission denied'
        new FileAlreadyExistsException('/tmp/x')                             | '/tmp/x: something else already exists at that path'
        new FileSystemException('/tmp/d', null, 'Is a directory')            | '/tmp/d: it is a folder, not a file'
        new FileNotFoundException('/tmp/d (Is a directory)')                 | '/tmp/d: it is a folder, not a file'
        new IOException('Is a directory')                                    | 'it is a folder, not a file'
        new IOException('Could not parse certificate: java.io.IOException: Empty input') | 'Could not parse certificate: Empty input'
        new RuntimeException(new IOException('No space left on device'))    | 'the disk is full'
    }
}
