# nginx with the site configuration; the port comes from the module's Hiera data.
class web (Integer $port) {
  package { 'nginx':
    ensure => installed,
  }
  file { '/etc/nginx/sites-available/default':
    ensure  => file,
    content => "server {\n    listen ${port};\n    root /var/www/html;\n}\n",
    require => Package['nginx'],
  }
  file { '/etc/imagebake-baked-by':
    ensure  => file,
    content => "puppet, build ${facts['packer_build_name']}\n",
  }
}
