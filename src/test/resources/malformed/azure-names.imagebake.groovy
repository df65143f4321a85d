builder azure {
    location 'westeurope'
    source galleryImage('shared gallery', 'base', resourceGroup: 'images')
    buildResourceGroup 'build.'
    network resourceGroup: 'net', virtualNetwork: 'v', subnet: 'build/1'
    managedImage 'bad name/with slash', resourceGroup: 'images'
    gallery 'corp-images', image: 'wëb', version: '1.4.2147483648', resourceGroup: 'images'
}
provision shell { inline 'true' }
post scaleSet {
    resourceGroup 'fleet'
    name '_web'
}
