package dev.imagebake.testsupport

import dev.imagebake.builder.azure.AzureBuildFaultsSpec
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations

import java.nio.file.Files
import java.nio.file.Path

/**
 * Emulators that start with the destinations of a bake already there (resource group `images`, gallery `corp`,
 * image definition `web`): seeded once through the SDK, then copied for each emulator, which is much faster than
 * seeding each one (every seeding request is an operation the SDK polls).
 */
class SeededEmulators {
    /** Seeds an emulator folder at {@code folder} and returns it. */
    static Path seed(Path folder) {
        Emulator emulator = Emulator.start(new Emulator.Settings(folder, 0, Operations.Settings.DEFAULT,
                Emulator.Machines.NONE))
        try {
            AzureBuildFaultsSpec.seed(new AzureSdkClients(emulator.cloudFile()))
        } finally {
            emulator.close()
        }
        Files.delete(folder.resolve('requests.log'))
        folder
    }

    /** An emulator with machines on a copy of {@code seeded} in {@code data}, with {@code faults} armed. */
    static Emulator start(Path seeded, Path data, String... faults) {
        Files.createDirectories(data)
        Files.list(seeded).withCloseable { files ->
            files.filter { Files.isRegularFile(it) && !it.fileName.toString().endsWith('.lock') }
                    .forEach { Files.copy(it, data.resolve(it.fileName)) }
        }
        Emulator.start(new Emulator.Settings(data, 0, Operations.Settings.DEFAULT, Emulator.Machines.SANDBOX)
                .withConditions(Conditions.DEFAULT.withFaults(faults)))
    }
}
