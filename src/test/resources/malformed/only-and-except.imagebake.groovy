builder ssh('web') {
    host '10.0.0.5'
    user 'deploy'
    agent true
}
provision shell {
    only 'web'
    except 'web'
    inline 'uptime'
}
