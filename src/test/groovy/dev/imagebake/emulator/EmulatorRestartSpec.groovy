package dev.imagebake.emulator

import com.azure.core.management.Region
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/** A restart on the same folder keeps the state, the certificates and the credentials. */
class EmulatorRestartSpec extends Specification {
    @TempDir
    Path dir

    def "should keep resource groups, CA and credentials across a restart"() {
        given:
        def first = Emulator.start(new Emulator.Settings(dir, 0))
        new AzureSdkClients(first.cloudFile()).resourceManager().resourceGroups().define('rg-kept')
                .withRegion(Region.EUROPE_NORTH).withTag('kept', 'yes').create()
        String ca = Files.readString(dir.resolve('ca.pem'))
        String identity = Files.readString(dir.resolve('identity.json'))
        first.close()

        when:
        def second = Emulator.start(new Emulator.Settings(dir, 0))
        def group = new AzureSdkClients(second.cloudFile()).resourceManager().resourceGroups().getByName('rg-kept')

        then:
        group.regionName() == 'northeurope'
        group.tags() == [kept: 'yes']
        Files.readString(dir.resolve('ca.pem')) == ca
        Files.readString(dir.resolve('identity.json')) == identity

        cleanup:
        second?.close()
    }

    def "should accept a token issued before the restart"() {
        given:
        def first = Emulator.start(new Emulator.Settings(dir, 0))
        String token = new RawArm(first).accessToken()
        first.close()

        when:
        def second = Emulator.start(new Emulator.Settings(dir, 0))
        def arm = new RawArm(second)

        then:
        arm.call('GET', "${arm.sub()}?api-version=1", null, token).statusCode() == 200

        cleanup:
        second?.close()
    }
}
