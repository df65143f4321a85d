// Provision an existing machine over SSH (no cloud involved), through a jump host.
variable 'host', description: 'Address of the machine to provision'
variable 'sshKey', default: 'keys/id_ed25519', description: 'Private key file, relative to this folder'
variable 'hostKey', default: 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU'

builder ssh('onprem') {
    host var.host
    user 'deploy'
    privateKey file(var.sshKey)
    hostKey var.hostKey
    bastion {
        host 'bastion.example.internal'
        user 'jump'
        agent true
        insecureHostKey true
    }
    connectTimeout '2m'
}

provision file {
    source 'files/motd'
    destination '/tmp/motd'
}
provision shell {
    script 'scripts/harden.sh'
    sudo true
    timeout '5m'
}
provision reboot { waitTimeout '3m' }
provision shell {
    inline 'sudo mv /tmp/motd /etc/motd', 'uptime'
}
provision breakpoint { note 'Check the machine before it is handed over' }
