package dev.imagebake.emulator

import dev.imagebake.emulator.arm.LatencyProfile
import spock.lang.Specification

import java.time.Duration

/** Azure's typical operation durations (AZURE.md), scaled. */
class LatencyProfileSpec extends Specification {
    static final String RG = '/subscriptions/s/resourceGroups/rg'
    static final String VM = RG + '/providers/Microsoft.Compute/virtualMachines/vm'

    def "should take each operation as long as it typically takes on Azure"() {
        expect:
        LatencyProfile.realistic(1).duration(kind, target, document) == Duration.ofSeconds(seconds)

        where:
        kind                  | target                                                      | document || seconds
        'compute.put'         | VM                                                          | null     || 30
        'compute.delete'      | VM                                                          | null     || 23
        'compute.action'      | VM + '#powerOff'                                            | null     || 4
        'compute.action'      | VM + '#deallocate'                                          | null     || 40
        'compute.put'         | RG + '/providers/Microsoft.Compute/images/img'              | null     || 10
        'network.put'         | RG + '/providers/Microsoft.Network/virtualNetworks/v'       | null     || 3
        'deleteResourceGroup' | RG                                                          | null     || 180
        'gallery.put'         | RG + '/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0' | regions(2) || 510
        'gallery.put'         | RG + '/providers/Microsoft.Compute/galleries/g/images/d/versions/1.0.0' | null       || 255
    }

    def "should scale every duration, and have none when instant"() {
        expect:
        LatencyProfile.realistic(0.01).duration('compute.put', VM, null) == Duration.ofMillis(300)
        LatencyProfile.realistic(0).duration('compute.put', VM, null) == Duration.ZERO
        LatencyProfile.INSTANT.duration('compute.put', VM, null) == null
    }

    def "should refuse an unknown profile or a negative scale"() {
        when:
        new LatencyProfile(name, scale)

        then:
        def e = thrown(IllegalArgumentException)
        e.message == message

        where:
        name        | scale || message
        'slow'      | 1     || "unknown latency profile 'slow' (expected instant or realistic)"
        'realistic' | -1    || 'the time scale must be a number >= 0, not -1.0'
    }

    static Map regions(int count) {
        [properties: [publishingProfile: [targetRegions: (1..count).collect { [name: "region$it"] }]]]
    }
}
