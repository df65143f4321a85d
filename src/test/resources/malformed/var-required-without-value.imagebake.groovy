variable 'host', description: 'Address of the machine to provision'

builder ssh {
    host var.host
    user 'deploy'
    agent true
}
