builder azure {
    location 'westeurope'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    gallery 'corp', image: 'web', version: '1.4', resourceGroup: 'images'
}
