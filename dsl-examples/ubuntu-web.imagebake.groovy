// An Ubuntu 22.04 web server, captured as a managed image, published to a gallery in two regions, and rolled out
// to the web scale set a third of its instances at a time.
variable 'location', default: 'westeurope', description: 'Azure region for the build VM'
variable 'imageVersion', default: '1.4.0', description: 'Gallery image version to publish'

builder azure {
    location var.location
    vmSize 'Standard_D2s_v5'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage "web-${timestamp('yyyyMMddHHmm')}", resourceGroup: 'images'
    gallery 'corp', image: 'web', version: var.imageVersion, regions: [westeurope: 1, northeurope: 2]
    tags team: 'web'
}

provision shell {
    inline 'sudo apt-get update', 'sudo apt-get install -y nginx'
    timeout '10m'
    retries 2
}
provision file {
    source 'files/site.conf'
    destination '/tmp/site.conf'
}
provision shell {
    inline 'sudo mv /tmp/site.conf /etc/nginx/sites-available/default', 'sudo systemctl enable nginx'
}

onError {
    provision shell { inline 'sudo journalctl -u nginx --no-pager | tail -n 50' }
}

post manifest { output 'manifest.json' }
post scaleSet {
    resourceGroup 'prod-web'
    name 'web-vmss'
    maxBatchPercent 34
    rollbackOnFailure true
}
