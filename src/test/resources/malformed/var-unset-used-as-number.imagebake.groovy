variable 'sshPort', type: 'number', description: 'The port the machine listens on'

builder ssh {
    host '10.0.0.5'
    port var.sshPort
    user 'deploy'
    agent true
}
