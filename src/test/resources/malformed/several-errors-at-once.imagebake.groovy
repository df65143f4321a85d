variable 'region', default: 'westeurope'

builder azure {
    location var.regio
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    vmsize 'Standard_D4s_v5'
}
provision shell {
    inline 'apt-get update'
    timeout 'ten minutes'
}
