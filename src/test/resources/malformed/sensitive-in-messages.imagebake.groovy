variable 'pw', default: 'hunter2abc', sensitive: true
println "pw=${var.pw}"
builder ssh { host 'example.com'; user 'ops'; password var.pw }
provision shell { inline 'true'; timeout var.pw }
fail("bad ${var.pw}")
