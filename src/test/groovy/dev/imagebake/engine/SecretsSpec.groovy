package dev.imagebake.engine

import spock.lang.Specification

class SecretsSpec extends Specification {
    def "every occurrence of a secret is redacted, and each line of a multi-line secret too"() {
        given:
        def secrets = new Secrets(['hunter2'])
        secrets.add('-----BEGIN KEY-----\nabcdefghijklmnop\n-----END KEY-----')

        expect:
        secrets.redact('pw=hunter2 again hunter2') == 'pw=<sensitive> again <sensitive>'
        secrets.redact('leaked line: abcdefghijklmnop') == 'leaked line: <sensitive>'
        secrets.redact('nothing here') == 'nothing here'
    }

    def "a line of a multi-line secret that is part of its public text should not be masked on its own"() {
        given: "a key file whose second line is also in the public key (OpenSSH key files carry the public key)"
        def secrets = new Secrets([])
        secrets.add('-----BEGIN KEY-----\nPUBLICpublic12345\nprivatePRIVATE999\n-----END KEY-----',
                'ssh-rsa AAAAPUBLICpublic12345ZZZ comment')

        expect:
        secrets.redact('ssh-rsa AAAAPUBLICpublic12345ZZZ comment') == 'ssh-rsa AAAAPUBLICpublic12345ZZZ comment'
        secrets.redact('leaked: privatePRIVATE999') == 'leaked: <sensitive>'
    }
}
