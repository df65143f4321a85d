package dev.imagebake.emulator.vm

import spock.lang.Specification

import java.nio.charset.StandardCharsets

class CloudConfigSpec extends Specification {

    def "should read users, host keys, files and runcmd from a cloud-config"() {
        when:
        def config = CloudConfig.parse('''#cloud-config
users:
  - name: deployer
    ssh_authorized_keys: [ssh-ed25519 AAAA deployer]
    sudo: ALL=(ALL) NOPASSWD:ALL
    groups: [adm, sudo]
    shell: /bin/sh
ssh_keys:
  ed25519_public: ssh-ed25519 BBBB host
write_files:
  - path: /etc/a
    content: aGVsbG8=
    encoding: b64
    permissions: 0600
    owner: root:adm
  - path: /etc/b
    content: text
    append: true
runcmd:
  - echo one
  - [touch, /two]
''')

        then:
        config.users() == [new CloudConfig.User('deployer', ['ssh-ed25519 AAAA deployer'], ['ALL=(ALL) NOPASSWD:ALL'],
                'adm,sudo', '/bin/sh')]
        !config.keepDefaultUser()
        config.hostKeys() == [ed25519_public: 'ssh-ed25519 BBBB host']
        config.files()*.path() == ['/etc/a', '/etc/b']
        new String(config.files()[0].content(), StandardCharsets.UTF_8) == 'hello'
        config.files()[0].permissions() == '0600'
        config.files()[0].owner() == 'root:adm'
        config.files()[1].append()
        config.runcmd() == ['echo one', ['touch', '/two']]
    }

    def "should merge the cloud-config parts of a MIME multipart message in order, ignoring other parts"() {
        given: "the shape the azure builder sends: its host keys first, the template's custom data second"
        String text = '''Content-Type: multipart/mixed; boundary="==imagebake-cloud-init=="
MIME-Version: 1.0

--==imagebake-cloud-init==
Content-Type: text/cloud-config; charset="utf-8"

#cloud-config
ssh_keys:
  ed25519_public: ssh-ed25519 AAAA host
runcmd: [echo first]

--==imagebake-cloud-init==
Content-Type: text/x-shellscript; charset="utf-8"

#!/bin/sh
echo ignored

--==imagebake-cloud-init==
Content-Type: text/cloud-config; charset="utf-8"

#cloud-config
write_files:
  - path: /etc/from-user
    content: user part
runcmd: [echo second]

--==imagebake-cloud-init==--
'''

        when:
        def config = CloudConfig.parse(text)

        then:
        config.hostKeys() == [ed25519_public: 'ssh-ed25519 AAAA host']
        config.files()*.path() == ['/etc/from-user']
        new String(config.files()[0].content(), StandardCharsets.UTF_8) == 'user part'
        config.runcmd() == ['echo second'] // a later part's key replaces an earlier one's, as cloud-init merges
    }

    def "should ignore data that is not a cloud-config"() {
        expect:
        CloudConfig.parse(text) == CloudConfig.EMPTY

        where:
        text << [null, '#!/bin/sh\necho hi\n', 'users: []']
    }

    def "should say so when the cloud-config is not valid YAML"() {
        when:
        CloudConfig.parse('#cloud-config\nusers: [unclosed\n')

        then:
        def e = thrown(VmRuntimeException)
        e.message.startsWith('the cloud-config in customData is not valid YAML: ')
    }
}
