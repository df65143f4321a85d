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
}
