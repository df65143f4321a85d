builder ssh('onprem') {
    port 2222
}
