package dev.imagebake.emulator

import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.Stepwise
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

import static dev.imagebake.emulator.AzureCli.ok

/**
 * The real Azure CLI 2.45 (Debian package, hybrid profile: see {@link AzureCliSpec} for why) against the emulator's
 * generic resource listings and template deployments as {@code az} sends them.
 */
@Stepwise
class AzureCliResourcesSpec extends Specification {
    static final String RG = 'res-rg'

    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    Map cloud

    @Shared
    AzureCli az

    @Shared
    RawArm arm

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0,
                new Operations.Settings(1, 0, Duration.ofSeconds(10))))
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        arm = new RawArm(emulator)
        Files.createDirectories(dir.resolve('az'))
        az = new AzureCli(dir.resolve('az'), emulator.caCertificate())
        az.signInTo(emulator)
        az.runAll([['group', 'create', '-n', RG, '-l', 'westeurope'],
                   ['group', 'create', '-n', 'other-rg', '-l', 'northeurope']]).each { ok(it) }
        az.runAll([['network', 'nsg', 'create', '-g', RG, '-n', 'web-nsg', '--tags', 'team=web', 'tier=front'],
                   ['network', 'nsg', 'create', '-g', 'other-rg', '-n', 'db-nsg', '--tags', 'team=db'],
                   ['network', 'vnet', 'create', '-g', RG, '-n', 'web-vnet', '--address-prefix', '10.30.0.0/16',
                    '--subnet-name', 'default', '--subnet-prefix', '10.30.1.0/24', '--tags', 'team=web'],
                   ['network', 'public-ip', 'create', '-g', RG, '-n', 'web-pip', '--sku', 'Standard']]).each { ok(it) }
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should list the resources of the subscription that carry a tag, across resource groups"() {
        when:
        def web = ok(az.run(['resource', 'list', '--tag', 'team=web'])) as List
        def anyTeam = ok(az.run(['resource', 'list', '--tag', 'team'])) as List

        then: 'tag name and value: Azure leaves the tags out of such replies'
        web*.name as Set == ['web-nsg', 'web-vnet'] as Set
        web.every { it.tags == null && it.location == 'westeurope' && it.resourceGroup == RG }
        web.find { it.name == 'web-nsg' }.type == 'Microsoft.Network/networkSecurityGroups'

        and: 'a tag name alone: tags shown; no subnets, NSG rules, groups or deployments'
        anyTeam*.name as Set == ['web-nsg', 'web-vnet', 'db-nsg'] as Set
        anyTeam.find { it.name == 'db-nsg' }.tags == [team: 'db']
    }

    def "should list a resource group's resources of one type"() {
        when:
        def nsgs = ok(az.run(['resource', 'list', '-g', RG, '--resource-type',
                              'Microsoft.Network/networkSecurityGroups'])) as List
        def all = ok(az.run(['resource', 'list', '-g', RG])) as List
        def pips = ok(az.run(['resource', 'list', '--resource-type', 'microsoft.network/publicIPAddresses'])) as List

        then:
        nsgs*.name == ['web-nsg']
        nsgs[0].tags == [team: 'web', tier: 'front']
        nsgs[0].id == "/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG/providers/Microsoft.Network/networkSecurityGroups/web-nsg"
        all*.name as Set == ['web-nsg', 'web-vnet', 'web-pip'] as Set
        pips*.name == ['web-pip']
        pips[0].sku.name == 'Standard'
    }

    def 'should answer a resource group\'s listing with substringof, top and nextLink, as ARM does'() {
        when:
        def base = "${arm.sub()}/resourceGroups/$RG/resources?api-version=2025-04-01"
        def byName = RawArm.json(arm.call('GET', base + '&%24filter=' + enc("substringof('web-', name) and resourceType eq 'Microsoft.Network/virtualNetworks'")))
        def first = RawArm.json(arm.call('GET', base + '&%24top=2'))
        def second = RawArm.json(arm.call('GET', first.nextLink as String))
        def bad = arm.call('GET', base + '&%24filter=' + enc("colour eq 'blue'"))
        def missing = arm.call('GET', "${arm.sub()}/resourceGroups/nope/resources?api-version=2025-04-01")

        then:
        byName.value*.name == ['web-vnet']
        first.value.size() == 2
        (first.value*.name + second.value*.name) as Set == ['web-nsg', 'web-vnet', 'web-pip'] as Set
        second.nextLink == null
        bad.statusCode() == 400
        RawArm.json(bad).error.code == 'InvalidFilterInQueryString'
        missing.statusCode() == 404
        RawArm.json(missing).error.code == 'ResourceGroupNotFound'
    }

    def "should answer the subscription's listing in the shape of ARM's GenericResourceExpanded"() {
        when:
        def reply = RawArm.json(arm.call('GET', "${arm.sub()}/resources?api-version=2025-04-01&%24filter="
                + enc("resourceType eq 'Microsoft.Network/networkSecurityGroups'") + '&%24expand=createdTime,provisioningState'))

        then:
        RestGolden.missingFrom(reply, GENERIC_RESOURCE_LIST) == []
        // ARM promises no order (the emulator keeps creation order, and the setup creates the NSGs side by side)
        RestGolden.compare('resources', 'resources-list', [value: reply.value.sort { it.id }]) == null
    }

    def "should deploy a template file with az deployment group create, as az sends it"() {
        given: 'a template as people write them: $schema, comments, parameters with defaults, outputs'
        Path file = dir.resolve('nsg.json')
        Files.writeString(file, TEMPLATE)

        when:
        def deployed = az.run(['deployment', 'group', 'create', '-g', RG, '-n', 'nsg-deploy', '--template-file',
                               file.toString(), '--parameters', 'nsgName=deployed-nsg', 'team=ops'])
        def nsg = ok(az.run(['resource', 'list', '--tag', 'team=ops'])) as List
        def validated = az.run(['deployment', 'group', 'validate', '-g', RG, '--template-file', file.toString(),
                                '--parameters', 'nsgName=checked-nsg'])

        then:
        deployed.exitCode == 0 || { throw new AssertionError(deployed.toString()) }()
        validated.exitCode == 0 || { throw new AssertionError(validated.toString()) }()
        validated.json().get('properties').validatedResources*.id == [
                "/subscriptions/${cloud.subscriptionId}/resourceGroups/$RG/providers/Microsoft.Network/networkSecurityGroups/checked-nsg".toString()]
        deployed.json().get('properties').provisioningState == 'Succeeded'
        deployed.json().get('properties').outputs.nsgId.value.endsWith('/networkSecurityGroups/deployed-nsg')
        nsg*.name == ['deployed-nsg']
    }

    def "should preview a deployment with az deployment group what-if"() {
        given:
        Path file = dir.resolve('nsg.json')

        when:
        def (same, changed, created) = az.runAll([
                ['deployment', 'group', 'what-if', '-g', RG, '--template-file', file.toString(), '--no-pretty-print',
                 '--parameters', 'nsgName=deployed-nsg', 'team=ops'],
                ['deployment', 'group', 'what-if', '-g', RG, '--template-file', file.toString(), '--no-pretty-print',
                 '--parameters', 'nsgName=deployed-nsg', 'team=dev'],
                ['deployment', 'group', 'what-if', '-g', RG, '--template-file', file.toString(), '--no-pretty-print',
                 '--parameters', 'nsgName=brand-new-nsg']]).collect { ok(it) }
        def pretty = az.run(['deployment', 'group', 'what-if', '-g', RG, '--template-file', file.toString(),
                             '--parameters', 'nsgName=brand-new-nsg'])
        def shown = ok(az.run(['resource', 'list', '-g', RG])) as List

        then:
        pretty.exitCode == 0
        pretty.out.contains('brand-new-nsg')
        pretty.out =~ /Resource changes: 1 to create/
        change(same, 'deployed-nsg').changeType == 'NoChange'
        change(changed, 'deployed-nsg').changeType == 'Modify'
        change(changed, 'deployed-nsg').before.tags == [team: 'ops']
        change(changed, 'deployed-nsg').after.tags == [team: 'dev']
        change(created, 'brand-new-nsg').changeType == 'Create'
        change(created, 'web-vnet').changeType == 'Ignore'

        and: 'nothing was deployed'
        !shown*.name.contains('brand-new-nsg')
        shown.find { it.name == 'deployed-nsg' }.tags == [team: 'ops']
    }

    private static Map change(Object whatIf, String name) {
        (whatIf.changes as List).find { (it.resourceId as String).endsWith('/' + name) } as Map
    }

    static final String TEMPLATE = '''{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "nsgName": { "type": "string", "metadata": { "description": "Name of the security group" } },
    "team": { "type": "string", "defaultValue": "web" },
    "location": { "type": "string", "defaultValue": "[resourceGroup().location]" }
  },
  // JSON with comments, as az and ARM take it
  "variables": { "rulePriority": 1000 /* the first custom rule */ },
  "resources": [
    {
      "type": "Microsoft.Network/networkSecurityGroups",
      "apiVersion": "2022-07-01",
      "name": "[parameters('nsgName')]",
      "location": "[parameters('location')]",
      "tags": { "team": "[parameters('team')]" },
      "comments": "SSH from one place only",
      "properties": {
        "securityRules": [
          {
            "name": "ssh",
            "properties": {
              "priority": "[variables('rulePriority')]", "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
              "sourceAddressPrefix": "203.0.113.7", "sourcePortRange": "*",
              "destinationAddressPrefix": "*", "destinationPortRange": "22"
            }
          }
        ]
      }
    }
  ],
  "outputs": {
    "nsgId": { "type": "string", "value": "[resourceId('Microsoft.Network/networkSecurityGroups', parameters('nsgName'))]" }
  }
}
'''

    // ARM's resources.json (Microsoft.Resources, 2025-04-01) has no example for Resources_List; these are the fields
    // of its ResourceListResult / GenericResourceExpanded that an NSG with tags has.
    static final Map GENERIC_RESOURCE_LIST = [value: [[id: '/subscriptions/...', name: 'n', type: 'Microsoft.Network/networkSecurityGroups',
                                                       location: 'westeurope', tags: [:], provisioningState: 'Succeeded']]]

    private static String enc(String text) {
        URLEncoder.encode(text, 'UTF-8').replace('+', '%20')
    }
}
