package dev.imagebake.emulator.vm

import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/** Each boot of an emulated machine has a boot id of its own, so that a reboot inside it can be proven. */
class SandboxBootIdSpec extends Specification {
    static final String BOOT_ID = 'cat /proc/sys/kernel/random/boot_id'

    @TempDir
    @Shared
    Path dir

    @Shared
    SandboxVmRuntime runtime

    @Shared
    MachineShell shell

    def setupSpec() {
        runtime = SandboxVmRuntime.open(dir.resolve('data/vm'), dir.resolve('data'))
        shell = new MachineShell(dir, 'user')
    }

    def cleanupSpec() {
        runtime?.close()
    }

    def "should show a boot id of its own that only a reboot changes and the guest cannot write"() {
        given:
        def spec = new MachineSpec('boot-id', 'boot-id', [], 'azureuser', [shell.publicKey()], null, null)
        String host = runtime.boot(spec).address()
        String hostBootId = Files.readString(Path.of('/proc/sys/kernel/random/boot_id')).strip()

        when:
        def first = shell.await(host, 'azureuser', BOOT_ID)
        def again = shell.run(host, 'azureuser', BOOT_ID)
        def write = shell.run(host, 'azureuser', "echo 00000000-0000-0000-0000-000000000000 | sudo tee " +
                "/proc/sys/kernel/random/boot_id; sudo umount /proc/sys/kernel/random/boot_id; ${BOOT_ID}")
        def refused = shell.run(host, 'azureuser', '/usr/sbin/reboot')
        def stillUp = shell.run(host, 'azureuser', BOOT_ID)
        try {
            shell.run(host, 'azureuser', 'sudo reboot; sleep 30')
        } catch (IOException ignored) {
            // the connection drops as the machine goes down
        }
        def afterReboot = awaitOtherBootId(host, first[1])

        then:
        first[0] == 0
        first[1].strip() ==~ /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/
        first[1].strip() != hostBootId
        again == first
        write[1].readLines()[1] == first[1].strip() // stdout (tee echoes what it could not write), then stderr
        write[1].contains('tee: /proc/sys/kernel/random/boot_id: Read-only file system')
        refused == [1, 'Call to Reboot failed: Access denied\n']
        stillUp == first
        afterReboot ==~ /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n/
        afterReboot != first[1]
        afterReboot.strip() != hostBootId
    }

    /** The boot id once the machine answers with another one (it goes down, then boots again). */
    private String awaitOtherBootId(String host, String old) {
        long deadline = System.nanoTime() + 60_000_000_000L
        while (System.nanoTime() < deadline) {
            try {
                def seen = shell.run(host, 'azureuser', BOOT_ID)
                if (seen[0] == 0 && seen[1] != old) {
                    return seen[1]
                }
            } catch (IOException ignored) {
                // down or booting
            }
            Thread.sleep(50)
        }
        throw new AssertionError('the machine did not come back with another boot id within 60 s')
    }
}
