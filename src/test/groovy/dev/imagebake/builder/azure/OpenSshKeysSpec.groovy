package dev.imagebake.builder.azure

import dev.imagebake.communicator.SshCommunicator
import net.schmizz.sshj.SSHClient
import spock.lang.Specification

import java.nio.charset.StandardCharsets

class OpenSshKeysSpec extends Specification {
    def "should write a private key that sshj reads, whose public half and fingerprint match"() {
        given:
        def keys = OpenSshKeys.generate('imagebake-test')

        when:
        def provider = new SSHClient().loadKeys(keys.privateKeyText(), null, null)

        then:
        keys.privateKeyText().startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n')
        keys.publicLine() ==~ /ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+\/=]+ imagebake-test/
        SshCommunicator.fingerprint(provider.public) == keys.fingerprint()
        provider.private.algorithm in ['EdDSA', 'Ed25519']
    }

    def "should make a different key every time"() {
        expect:
        OpenSshKeys.generate('a').publicLine() != OpenSshKeys.generate('a').publicLine()
    }

    def "should agree with ssh-keygen about the fingerprint and the private key"() {
        given:
        def keys = OpenSshKeys.generate('cmp')
        def file = File.createTempFile('key', '')
        file.text = keys.privateKeyText()
        ['chmod', '600', file.path].execute().waitFor()

        when:
        def pub = ['ssh-keygen', '-y', '-f', file.path].execute()
        def pubLine = pub.inputStream.getText(StandardCharsets.UTF_8.name()).trim()
        pub.waitFor()
        def fp = ['ssh-keygen', '-l', '-f', file.path].execute()
        def fpLine = fp.inputStream.getText(StandardCharsets.UTF_8.name()).trim()
        fp.waitFor()

        then:
        pub.exitValue() == 0
        pubLine.split(' ')[0..1] == keys.publicLine().split(' ')[0..1]
        fpLine.split(' ')[1] == keys.fingerprint()

        cleanup:
        file?.delete()
    }

    def "should put the host key first and the user's custom data second in a multipart message"() {
        given:
        def host = OpenSshKeys.generate('host')

        when:
        def alone = new String(Base64.decoder.decode(CloudInit.customData(host, null)), 'UTF-8')
        def both = new String(Base64.decoder.decode(CloudInit.customData(host, '#!/bin/sh\necho hi\n')), 'UTF-8')

        then:
        alone.startsWith('#cloud-config\nssh_keys:\n  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n')
        alone.contains("  ed25519_public: ${host.publicLine()}\n")
        both.startsWith('Content-Type: multipart/mixed')
        both.indexOf('text/cloud-config') < both.indexOf('text/x-shellscript')
        both.contains('#!/bin/sh\necho hi\n')
    }
}
