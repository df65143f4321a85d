builder ssh('web') {
    host '10.0.0.5'
    user 'deploy'
    agent true
}
provision shell {
    only 'wbe'
    inline 'systemctl restart nginx'
}
