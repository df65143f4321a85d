builder ssh {
    host '10.0.0.5'
    user 'deploy'
    agent true
}
provision shell {
    inline comands
}
