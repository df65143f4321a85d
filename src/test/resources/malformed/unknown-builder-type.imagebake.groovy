builder azur {
    location 'westeurope'
}
