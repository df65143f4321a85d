package dev.imagebake.emulator

import static dev.imagebake.emulator.RawArm.json

/**
 * Template deployments over raw REST: expressions, dependency order, copy loops, outputs, operations, and the
 * errors ARM gives for bad templates and failed resources.
 */
class DeploymentSpec extends RunningEmulatorSpec {
    static final String RG = 'deploy-rg'

    def setupSpec() {
        assert arm.call('PUT', "${arm.sub()}/resourcegroups/$RG?api-version=2021-04-01", [location: 'westeurope'])
                .statusCode() == 201
    }

    /** An NSG and a VNet whose subnet uses it, declared in the wrong order, plus two public IPs from a copy loop. */
    static Map template() {
        [
                '$schema'     : 'https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#',
                contentVersion: '1.0.0.0',
                parameters    : [prefix: [type: 'string'], count: [type: 'int', defaultValue: 2]],
                variables     : [nsgName: "[concat(parameters('prefix'), '-nsg')]",
                                 vnetName: "[concat(parameters('prefix'), '-vnet')]"],
                resources     : [
                        [type     : 'Microsoft.Network/virtualNetworks', apiVersion: '2022-07-01',
                         name     : "[variables('vnetName')]", location: "[resourceGroup().location]",
                         dependsOn: ["[resourceId('Microsoft.Network/networkSecurityGroups', variables('nsgName'))]"],
                         properties: [addressSpace: [addressPrefixes: ['10.9.0.0/16']],
                                      subnets: [[name: 'default', properties: [addressPrefix: '10.9.0.0/24',
                                              networkSecurityGroup: [id: "[resourceId('Microsoft.Network/networkSecurityGroups', variables('nsgName'))]"]]]]]],
                        [type: 'Microsoft.Network/networkSecurityGroups', apiVersion: '2022-07-01',
                         name: "[variables('nsgName')]", location: 'westeurope', properties: [securityRules: []]],
                        [type: 'Microsoft.Network/publicIPAddresses', apiVersion: '2022-07-01',
                         name: "[concat(parameters('prefix'), '-ip', copyIndex(1))]", location: 'westeurope',
                         copy: [name: 'ips', count: "[parameters('count')]"], sku: [name: 'Standard'],
                         properties: [publicIPAllocationMethod: 'Static']]],
                outputs       : [subnet: [type : 'string',
                                          value: "[reference(resourceId('Microsoft.Network/virtualNetworks', variables('vnetName'))).subnets[0].name]"],
                                 literal: [type: 'string', value: "[[not an expression]"]]
        ]
    }

    /** Polls the deployment's Azure-AsyncOperation URL, as a client would, until it is no longer running. */
    Map finished(java.net.http.HttpResponse<String> put) {
        def url = put.headers().firstValue('Azure-AsyncOperation').get()
        for (int poll = 0; poll < 20; poll++) {
            Map status = json(arm.call('GET', url)) as Map
            if (status.status != 'InProgress') {
                return status
            }
        }
        throw new AssertionError("the deployment at $url did not finish")
    }

    String deployments() {
        "${arm.sub()}/resourcegroups/$RG/providers/Microsoft.Resources/deployments"
    }

    def "should deploy a template's resources in dependency order and evaluate its outputs"() {
        when:
        def put = arm.call('PUT', "${deployments()}/net?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: template(), parameters: [prefix: [value: 'web']]]])
        def status = finished(put)
        def deployment = json(arm.call('GET', "${deployments()}/net?api-version=2021-04-01"))
        def operations = json(arm.call('GET', "${deployments()}/net/operations?api-version=2021-04-01")).value
        def vnet = json(arm.call('GET', "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Network/virtualNetworks/web-vnet?api-version=2022-07-01"))

        then:
        put.statusCode() == 201
        json(put).get('properties').provisioningState == 'Accepted'
        status.status == 'Succeeded'
        deployment.get('properties').provisioningState == 'Succeeded'
        deployment.get('properties').parameters == [prefix: [type: 'string', value: 'web'], count: [type: 'int', value: 2]]
        deployment.get('properties').outputs == [subnet: [type: 'string', value: 'default'],
                                                 literal: [type: 'string', value: '[not an expression]']]
        operations.collect { it.get('properties').targetResource.resourceName } ==
                ['web-nsg', 'web-vnet', 'web-ip1', 'web-ip2']
        operations.every { it.get('properties').provisioningState == 'Succeeded' }
        vnet.get('properties').subnets[0].get('properties').networkSecurityGroup.id.endsWith('/networkSecurityGroups/web-nsg')
        vnet.get('properties').provisioningState == 'Succeeded'
    }

    def "should answer a template that uses an undeclared parameter with 400 InvalidTemplate at once"() {
        given:
        def bad = template()
        bad.variables.nsgName = "[parameters('missing')]"

        when:
        def put = arm.call('PUT', "${deployments()}/bad?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: bad, parameters: [prefix: [value: 'x']]]])
        def get = arm.call('GET', "${deployments()}/bad?api-version=2021-04-01")

        then:
        put.statusCode() == 400
        json(put).error.code == 'InvalidTemplate'
        json(put).error.message == "Deployment template validation failed: The template parameter 'missing' is not found."
        get.statusCode() == 404
        json(get).error.code == 'DeploymentNotFound'
    }

    def "should validate a template without deploying it"() {
        when:
        def response = arm.call('POST', "${deployments()}/check/validate?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: template(), parameters: [prefix: [value: 'val'], count: [value: 1]]]])

        then:
        response.statusCode() == 200
        json(response).get('properties').validatedResources*.id*.replaceAll(/.*\/providers\//, '') ==
                ['Microsoft.Network/networkSecurityGroups/val-nsg', 'Microsoft.Network/virtualNetworks/val-vnet',
                 'Microsoft.Network/publicIPAddresses/val-ip1']
        arm.call('GET', "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Network/networkSecurityGroups/val-nsg?api-version=2022-07-01")
                .statusCode() == 404
    }

    def "should fail the deployment with DeploymentFailed and the resource's own error"() {
        given: 'a NIC on a subnet that does not exist'
        def nicTemplate = [contentVersion: '1.0.0.0', resources: [
                [type: 'Microsoft.Network/networkInterfaces', apiVersion: '2022-07-01', name: 'lost-nic',
                 location: 'westeurope', properties: [ipConfigurations: [[name: 'ip', properties: [
                        subnet: [id: "[concat(resourceGroup().id, '/providers/Microsoft.Network/virtualNetworks/none/subnets/default')]"]]]]]]]]

        when:
        def put = arm.call('PUT', "${deployments()}/broken?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: nicTemplate]])
        def status = finished(put)
        def operations = json(arm.call('GET', "${deployments()}/broken/operations?api-version=2021-04-01")).value

        then:
        status.status == 'Failed'
        status.error.code == 'DeploymentFailed'
        status.error.message.contains("failed: InvalidResourceReference: Resource /subscriptions/${arm.cloud.subscriptionId}/resourceGroups/$RG/providers/Microsoft.Network/virtualNetworks/none/subnets/default referenced by resource")
        operations.size() == 1
        operations[0].get('properties').provisioningState == 'Failed'
        operations[0].get('properties').statusMessage.error.code == 'InvalidResourceReference'
    }

    def "should refuse complete mode and linked templates"() {
        when:
        def complete = arm.call('PUT', "${deployments()}/c?api-version=2021-04-01",
                [properties: [mode: 'Complete', template: template()]])
        def linked = arm.call('PUT', "${deployments()}/l?api-version=2021-04-01",
                [properties: [mode: 'Incremental', templateLink: [uri: 'https://example.com/t.json']]])

        then:
        complete.statusCode() == 400
        json(complete).error.code == 'InvalidDeploymentMode'
        linked.statusCode() == 400
        json(linked).error.code == 'InvalidTemplate'
    }

    def "should let reference() name a resource of the same template by its name, as quickstart templates do"() {
        given: 'outputs that read a public IP and a subnet by name, with no dependsOn, as ARM allows'
        def byName = [contentVersion: '1.0.0.0',
                      parameters: [ipName: [type: 'string', defaultValue: 'named-ip']],
                      resources: [
                              [type: 'Microsoft.Network/publicIPAddresses', apiVersion: '2020-06-01',
                               name: "[parameters('ipName')]", location: 'westeurope',
                               properties: [publicIPAllocationMethod: 'Static', idleTimeoutInMinutes: 7,
                                            dnsSettings: [domainNameLabel: 'named-label']]],
                              [type: 'Microsoft.Network/virtualNetworks', apiVersion: '2020-06-01', name: 'named-vnet',
                               location: 'westeurope', properties: [addressSpace: [addressPrefixes: ['10.7.0.0/16']],
                                                                    subnets: [[name: 'inner', properties: [addressPrefix: '10.7.1.0/24']]]]],
                              [type: 'Microsoft.Network/virtualNetworks/subnets', apiVersion: '2020-06-01',
                               name: 'named-vnet/second', dependsOn: ['named-vnet'],
                               properties: [addressPrefix: '10.7.2.0/24']]],
                      outputs: [idle: [type: 'int', value: "[reference(parameters('ipName')).idleTimeoutInMinutes]"],
                                prefix: [type: 'string', value: "[reference('named-vnet/second').addressPrefix]"],
                                full: [type: 'string', value: "[reference('NAMED-IP', '2020-06-01', 'Full').location]"],
                                fqdn: [type: 'string', value: "[reference(parameters('ipName')).dnsSettings.fqdn]"]]]

        when:
        def status = finished(arm.call('PUT', "${deployments()}/by-name?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: byName]]))
        def deployment = json(arm.call('GET', "${deployments()}/by-name?api-version=2021-04-01"))

        then:
        status.status == 'Succeeded'
        deployment.get('properties').outputs == [idle: [type: 'int', value: 7],
                                                 prefix: [type: 'string', value: '10.7.2.0/24'],
                                                 full: [type: 'string', value: 'westeurope'],
                                                 fqdn: [type: 'string', value: 'named-label.westeurope.cloudapp.azure.com']]
    }

    def "should refuse a template with a resource type the emulator does not serve before deploying anything"() {
        given: 'an NSG the emulator serves and a storage account it does not'
        def mixed = [contentVersion: '1.0.0.0', resources: [
                [type: 'Microsoft.Network/networkSecurityGroups', apiVersion: '2022-07-01', name: 'mixed-nsg',
                 location: 'westeurope', properties: [securityRules: []]],
                [type: 'Microsoft.Storage/storageAccounts', apiVersion: '2021-04-01', name: 'mixedsa',
                 location: 'westeurope', sku: [name: 'Standard_LRS'], kind: 'StorageV2', properties: [:]]]]

        when:
        def put = arm.call('PUT', "${deployments()}/mixed?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: mixed]])
        def validate = arm.call('POST', "${deployments()}/mixed/validate?api-version=2021-04-01",
                [properties: [mode: 'Incremental', template: mixed]])

        then:
        put.statusCode() == 400
        json(put).error.code == 'InvalidTemplateDeployment'
        json(put).error.message == "The template deployment 'mixed' is not valid: the resource 'mixedsa' is of type" +
                " 'Microsoft.Storage/storageAccounts', which the emulator does not serve (InvalidResourceType);" +
                " nothing was deployed."
        validate.statusCode() == 400
        json(validate).error.code == 'InvalidTemplateDeployment'
        arm.call('GET', "${deployments()}/mixed?api-version=2021-04-01").statusCode() == 404
        arm.call('GET', "${arm.sub()}/resourceGroups/$RG/providers/Microsoft.Network/networkSecurityGroups/mixed-nsg?api-version=2022-07-01")
                .statusCode() == 404
    }
}
