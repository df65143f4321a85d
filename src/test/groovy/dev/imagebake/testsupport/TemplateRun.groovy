package dev.imagebake.testsupport

import dev.imagebake.cli.Main

import java.nio.file.Files
import java.nio.file.Path

/** Runs `imagebake` in-process on a template written to a temp folder, capturing what it prints. */
class TemplateRun {
    final int code
    final String out
    final String err
    final Path folder

    TemplateRun(int code, String out, String err, Path folder) {
        this.code = code
        this.out = out
        this.err = err
        this.folder = folder
    }

    static TemplateRun build(Path folder, String template, List<String> extraArgs = [], Map<String, String> env = [:]) {
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, template)
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), env,
                (['build'] + extraArgs + [file.toString()]) as String[])
        new TemplateRun(code, out.toString('UTF-8'), err.toString('UTF-8'), folder)
    }

    /**
     * An azure builder block for a build against the built-in emulator (run with {@link #emulated}): its build VM is
     * an emulated machine with its own root file system over the host's, so provisioners can change it freely.
     */
    static final String EMULATED_AZURE_BUILDER = '''
builder azure {
    location 'westeurope'
    vmSize 'Standard_D2s_v5'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'spec-image', resourceGroup: 'images'
}
'''

    /** {@code imagebake plan} of the template, written to the folder as {@code t.imagebake.groovy}. */
    static TemplateRun plan(Path folder, String template, List<String> extraArgs = []) {
        Path file = folder.resolve('t.imagebake.groovy')
        Files.writeString(file, template)
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int code = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'), [:],
                (['plan'] + extraArgs + [file.toString()]) as String[])
        new TemplateRun(code, out.toString('UTF-8'), err.toString('UTF-8'), folder)
    }

    /** {@code imagebake build --emulator} of the template, with the emulator's data in {@code emulatorData}. */
    static TemplateRun emulated(Path folder, String template, Path emulatorData, List<String> extraArgs = []) {
        build(folder, template, ['--emulator', '--emulator-data', emulatorData.toString()] + extraArgs)
    }

    /** The ssh builder block for a loopback sshd. */
    static String sshBuilder(LoopbackSshd sshd, String name = 'box', String extra = '') {
        """
builder ssh('${name}') {
    host '127.0.0.1'
    port ${sshd.port}
    user '${LoopbackSshd.USER}'
    privateKey file('id_ed25519')
    hostKey '${sshd.hostKeyFingerprint}'
    connectTimeout '10s'
    ${extra}
}
"""
    }

    static Path folderWithKey(LoopbackSshd sshd) {
        Path folder = Files.createTempDirectory('imagebake-build-')
        Files.copy(sshd.clientKey, folder.resolve('id_ed25519'))
        folder
    }

    String toString() { "exit ${code}\n--- out\n${out}\n--- err\n${err}" }
}
