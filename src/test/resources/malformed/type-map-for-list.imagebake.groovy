variable 'packages', type: 'list', default: [web: 'nginx']

builder ssh {
    host '10.0.0.5'
    user 'deploy'
    agent true
}
