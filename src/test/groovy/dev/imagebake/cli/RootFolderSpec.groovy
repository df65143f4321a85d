package dev.imagebake.cli

import dev.imagebake.testsupport.TemplateRun
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * `--root DIR` lets a template's paths reach files above its own folder (a repository's shared scripts), and no
 * further: `..` past the root, and links out of it, are still refused.
 */
class RootFolderSpec extends Specification {
    @TempDir
    Path repo

    @TempDir
    Path emulator

    Path template

    def setup() {
        write('scripts/setup.sh', '#!/bin/sh\necho "setup ran from the shared scripts"\n')
        write('files/motd', 'shared motd\n')
        template = write('packer/web/web.imagebake.groovy', TemplateRun.EMULATED_AZURE_BUILDER + '''
provision shell { script '../../scripts/setup.sh' }
provision file { content file('../../files/motd'); destination '/tmp/motd' }
provision shell { inline 'cat /tmp/motd' }
''')
    }

    def "without --root, paths above the template's folder should be refused, pointing at --root"() {
        when:
        def run = imagebake('validate', template.toString())

        then:
        run.code == 2
        run.err.contains("web.imagebake.groovy:9:19: '../../scripts/setup.sh' leads out of the template's folder; templates can only use files in their own " +
                'folder and below (or below a folder given with --root)')
    }

    def "with --root, the scripts and files above the template's folder should be read and run"() {
        when:
        def validate = imagebake('validate', '--root', repo.toString(), template.toString())
        def build = imagebake('build', '--emulator', '--emulator-data', emulator.toString(), '--root', repo.toString(),
                template.toString())

        then:
        validate.code == 0
        build.code == 0
        build.out.contains('    azure: setup ran from the shared scripts\n')
        build.out.contains('    azure: shared motd\n')
    }

    def "with --root, paths still may not leave the root, directly or through a link"() {
        given:
        Files.createSymbolicLink(repo.resolve('files/passwd'), Path.of('/etc/passwd'))
        Path escape = write('packer/web/escape.imagebake.groovy', TemplateRun.EMULATED_AZURE_BUILDER + '''
provision file { content file('../../../outside.txt'); destination '/tmp/x' }
provision file { content file('../../files/passwd'); destination '/tmp/y' }
''')

        when:
        def run = imagebake('validate', '--root', repo.toString(), escape.toString())

        then:
        run.code == 2
        run.err.contains("'../../../outside.txt' leads out of the root folder ${repo} (--root); templates can only use " +
                'files below the root folder')
        run.err.contains("'../../files/passwd' is a link that leads out of the root folder ${repo} (--root)")
    }

    def "a --root that does not hold the template's folder should be refused"() {
        given:
        Path other = Files.createDirectories(repo.resolve('other'))

        when:
        def run = imagebake('validate', '--root', other.toString(), template.toString())

        then:
        run.code == 2
        run.err.contains("--root:1:1: the template's folder ${template.parent} is not inside the --root folder ${other}")
    }

    private Path write(String path, String text) {
        Path file = repo.resolve(path)
        Files.createDirectories(file.parent)
        Files.writeString(file, text)
        file
    }

    private static Map imagebake(String... args) {
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:], args)
        [code: code, out: out.toString('UTF-8'), err: err.toString('UTF-8')]
    }
}
