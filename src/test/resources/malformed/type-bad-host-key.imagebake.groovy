builder ssh {
    host '10.0.0.5'
    user 'deploy'
    agent true
    hostKey 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5'
}
