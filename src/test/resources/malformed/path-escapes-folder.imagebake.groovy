builder ssh {
    host '10.0.0.5'
    user 'deploy'
    agent true
}
provision file {
    source '../secrets/site.conf'
    destination '/tmp/site.conf'
}
