builder azure {
    location 'westeurope'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    osDisk sizeGb: 64, type: 'Standard_LRS'
    managedImage 'web', resourceGroup: 'images', storageType: 'Premium_LRS'
}
