builder azure {
    location 'westeurope'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images', storageType: 'Standard_ZRS'
    gallery 'corp', image: 'web', version: '1.0.0', storageType: 'StandardSSD_LRS'
    dataDisk sizeGb: 128, type: 'Standard_ZRS'
}
