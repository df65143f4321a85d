package dev.imagebake.emulator.arm

import spock.lang.Specification

/** ARM's $filter for generic resource listings, on documents as the emulator stores them. */
class ResourceFilterSpec extends Specification {
    static final Map NSG = [id: '/subscriptions/s/resourceGroups/web-rg/providers/Microsoft.Network/networkSecurityGroups/web-nsg',
                            name: 'web-nsg', type: 'Microsoft.Network/networkSecurityGroups', location: 'westeurope',
                            tags: [Team: 'web', tier: "it's front"]]
    static final Map VM = [id: '/subscriptions/s/resourceGroups/db-rg/providers/Microsoft.Compute/virtualMachines/db1',
                           name: 'db1', type: 'Microsoft.Compute/virtualMachines', location: 'northeurope']

    def "should keep #kept for '#filter'"() {
        expect:
        [NSG, VM].findAll { ResourceFilter.parse(filter).test(it) }*.name == kept

        where:
        filter                                                                        | kept
        null                                                                          | ['web-nsg', 'db1']
        "resourceType eq 'microsoft.compute/virtualMachines'"                         | ['db1']
        "tagname eq 'team' and tagvalue eq 'web'"                                     | ['web-nsg']
        "tagName eq 'Team' and tagValue eq 'WEB'"                                     | []
        "tagName eq 'tier' and tagValue eq 'it''s front'"                             | ['web-nsg']
        "startswith(tagname, 'te')"                                                   | ['web-nsg']
        "substringof('db', name) or location eq 'West Europe'"                        | ['web-nsg', 'db1']
        "substringof('web', resourceGroup) and resourceType eq 'Microsoft.Network/networkSecurityGroups'" | ['web-nsg']
        "resourceGroup eq 'DB-RG'"                                                    | ['db1']
        "name eq 'db1' and location eq 'westeurope'"                                  | []
    }

    def "should hide tags only when the filter names a tag value"() {
        expect:
        ResourceFilter.parse("tagName eq 'team' and tagValue eq 'web'").hidesTags()
        !ResourceFilter.parse("tagName eq 'team'").hidesTags()
    }

    def "should refuse '#filter' with InvalidFilterInQueryString"() {
        when:
        ResourceFilter.parse(filter)

        then:
        def e = thrown(ArmException)
        e.status() == 400
        e.code() == 'InvalidFilterInQueryString'

        where:
        filter << ["colour eq 'blue'", "tagValue eq 'x'", "substringof('x', location)", "name ne 'x'", 'name eq x']
    }
}
