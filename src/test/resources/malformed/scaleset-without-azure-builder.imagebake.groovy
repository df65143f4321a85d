builder ssh { host '10.0.0.5'; user 'deploy'; agent true }

post scaleSet {
    resourceGroup 'prod-web'
    name 'web-vmss'
}
