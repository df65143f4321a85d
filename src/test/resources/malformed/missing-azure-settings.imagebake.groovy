builder azure {
    vmSize 'Standard_D4s_v5'
}
