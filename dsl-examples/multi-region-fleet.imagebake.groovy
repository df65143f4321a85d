// Two Azure builds from one template, built in parallel: variables, a loop, a helper function and only/except.
variable 'environment', default: 'staging', description: 'Which environment the image is for'
variable 'packages', default: ['nginx', 'jq', 'unattended-upgrades'], description: 'Packages to install'
variable 'clientId', default: env('AZURE_CLIENT_ID'), description: 'Service principal (optional)'
variable 'clientSecret', default: env('AZURE_CLIENT_SECRET'), sensitive: true

def regions = [eu: 'westeurope', us: 'eastus']
def version = var.environment == 'production' ? '2.0.0' : '2.0.1'

// A helper: every build shares these settings.
def common(String region) {
    location region
    vmSize 'Standard_D2s_v5'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    tags environment: var.environment, owner: 'platform'
    if (var.clientId) {
        clientId var.clientId
        clientSecret var.clientSecret
    }
}

regions.each { name, region ->
    builder azure(name) {
        common(region)
        gallery 'fleet', image: "web-${name}", version: version, resourceGroup: 'images',
                regions: [(region): 2]
    }
}

provision shell {
    inline 'sudo apt-get update', "sudo apt-get install -y ${var.packages.join(' ')}"
    env DEBIAN_FRONTEND: 'noninteractive'
    retries 2
}

for (pkg in var.packages.findAll { it != 'jq' }) {
    provision shell { inline "dpkg -s ${pkg} >/dev/null" }
}

provision shell {
    only 'us'
    inline 'echo "region=us" | sudo tee /etc/imagebake-region'
}

provision shellLocal {
    inline 'echo "built ${IMAGEBAKE_BUILD_NAME}" >> builds.log'
}

post manifest {
    output 'fleet-manifest.json'
    customData environment: var.environment
}
