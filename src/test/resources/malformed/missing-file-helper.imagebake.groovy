builder ssh {
    host '10.0.0.5'
    user 'deploy'
    privateKey file('nope.txt')
}
