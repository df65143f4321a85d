builder azure {
    location 'westeurope'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
}

post scaleSet {
    resourceGroup 'prod-web'
    upgrade 'blue-green'
    maxBatchPercent 200
    health {
        command 'curl -fs localhost'
    }
}
