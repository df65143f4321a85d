builder ssh {
    host '10.0.0.5'
    user 'deploy'
    agent true
    bastion {
        host 'jump.example.com'
        user 'jump'
        agent true
        hostkey 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU'
    }
}
