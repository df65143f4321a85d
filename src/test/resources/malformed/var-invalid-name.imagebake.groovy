variable 'image-version', default: '1.0.0'

builder ssh {
    host '10.0.0.5'
    user 'deploy'
    agent true
}
