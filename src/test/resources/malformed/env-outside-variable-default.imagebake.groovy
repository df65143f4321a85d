builder ssh {
    host env('TARGET_HOST')
    user 'deploy'
    agent true
}
