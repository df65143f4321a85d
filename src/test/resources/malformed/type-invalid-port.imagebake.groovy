builder ssh {
    host '10.0.0.5'
    port 70000
    user 'deploy'
    agent true
}
