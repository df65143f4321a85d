package dev.imagebake.emulator

import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path

/** A spec with one emulator for all its features, on a fresh data folder, and raw HTTPS access to it. */
abstract class RunningEmulatorSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    RawArm arm

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir, 0))
        arm = new RawArm(emulator)
    }

    def cleanupSpec() {
        emulator?.close()
    }
}
