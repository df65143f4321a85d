# The web role: nginx serving the site, configured by the web module.
node default {
  if $facts['role'] == 'web' {
    include web
  }
}
