// An Ubuntu 22.04 web server configured by Puppet: `puppet apply` runs on the build VM with the manifest and the
// web module uploaded first, then the VM is captured as a managed image.
variable 'location', default: 'westeurope', description: 'Azure region for the build VM'

builder azure {
    location var.location
    vmSize 'Standard_D2s_v5'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage "puppet-web-${timestamp('yyyyMMddHHmm')}", resourceGroup: 'images'
    tags team: 'web'
}

provision puppet {
    manifest 'puppet/manifests/site.pp'
    modulePaths 'puppet/modules'
    hieraConfig 'puppet/hiera.yaml'
    facts role: 'web'
    install 'package'
}
provision shell {
    inline '/usr/sbin/nginx -v', 'cat /etc/nginx/sites-available/default /etc/imagebake-baked-by'
}

post manifest { output 'manifest.json' }
