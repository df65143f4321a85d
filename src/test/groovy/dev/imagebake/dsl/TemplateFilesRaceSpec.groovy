package dev.imagebake.dsl

import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.util.concurrent.atomic.AtomicBoolean

/**
 * {@code file()} reads exactly the file it checked: a writer that swaps the checked file for a link to a file
 * outside the template's folder, while the template reads it over and over, never gets the outside text read.
 */
class TemplateFilesRaceSpec extends Specification {
    @TempDir
    Path dir

    static final int READS = 20_000

    def "should never read a file outside the folder, however a concurrent writer swaps links in"() {
        given: 'a template folder with data.txt, and a secret outside the folder'
        Path folder = Files.createDirectories(dir.resolve('template'))
        Path outside = dir.resolve('outside.txt')
        Files.writeString(outside, 'OUTSIDE-SECRET')
        Path regular = dir.resolve('template/regular.tmp')
        Path link = dir.resolve('template/link.tmp')
        Path target = folder.resolve('data.txt')
        Files.writeString(target, 'inside')
        def files = new TemplateFiles(folder)

        and: 'a thread that keeps replacing data.txt by a link to the secret and back'
        def stop = new AtomicBoolean()
        def swaps = 0L
        def swapper = Thread.start {
            while (!stop.get()) {
                Files.writeString(regular, 'inside')
                Files.move(regular, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
                Files.deleteIfExists(link)
                Files.createSymbolicLink(link, outside)
                Files.move(link, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
                swaps++
            }
        }

        when: 'the template reads data.txt many times; refusals (a link seen at check time) are fine'
        def seen = [] as Set
        int refused = 0
        for (int i = 0; i < READS; i++) {
            try {
                seen << files.read('data.txt')
            } catch (TemplateError e) {
                refused++
            }
        }
        stop.set(true)
        swapper.join()

        then:
        swaps > 0
        !seen.contains('OUTSIDE-SECRET')
        seen.contains('inside')
    }

    def "should still read a link that stays inside the folder, and refuse one that leads out"() {
        given:
        Path folder = Files.createDirectories(dir.resolve('template'))
        Files.createDirectories(folder.resolve('conf'))
        Files.writeString(folder.resolve('conf/real.txt'), 'real')
        Files.createSymbolicLink(folder.resolve('alias.txt'), Path.of('conf/real.txt'))
        Files.createSymbolicLink(folder.resolve('sub'), Path.of('conf'))
        Files.writeString(dir.resolve('outside.txt'), 'OUTSIDE')
        Files.createSymbolicLink(folder.resolve('escape.txt'), dir.resolve('outside.txt'))
        def files = new TemplateFiles(folder)

        expect:
        files.read('alias.txt') == 'real'
        files.read('sub/real.txt') == 'real'

        when:
        files.read('escape.txt')

        then:
        def e = thrown(TemplateError)
        e.message == "'escape.txt' is a link that leads out of the template's folder"
    }
}
