package dev.imagebake.dsl

import dev.imagebake.plan.PlanRenderer
import spock.lang.Specification

/** The azure builder's sign-in keywords: which combinations a template may use, and what its plan shows. */
class AzureSignInKeywordsSpec extends Specification {
    /** header {"alg":"RS256","typ":"JWT"}, payload {"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r:ref:refs/heads/main"} */
    static final String JWT = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.' +
            'eyJpc3MiOiJodHRwczovL3Rva2VuLmFjdGlvbnMuZ2l0aHVidXNlcmNvbnRlbnQuY29tIiwic3ViIjoicmVwbzpvL3I6cmVmOnJlZnMvaGVhZHMvbWFpbiJ9.' +
            'c2lnbmF0dXJl'

    static String template(String signIn) {
        """variable 'oidcToken', default: '${JWT}', sensitive: true
builder azure {
    location 'westeurope'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    ${signIn}
}
"""
    }

    List<String> problems(String signIn) {
        TemplateHarness.evaluate(template(signIn)).diagnostics()
                .collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }

    def "a clientJwt read from a variable not marked sensitive is still masked wherever the plan shows it"() {
        given:
        String text = template("clientId 'app'\n    tenant 't'\n    clientJwt var.plainToken")
                .replace("variable 'oidcToken'", "variable 'plainToken', default: '${JWT}'\nvariable 'oidcToken'")

        when:
        def result = TemplateHarness.evaluate(text)
        String rendered = PlanRenderer.render(result.plan())
        String json = dev.imagebake.plan.PlanJson.render(result.plan())

        then:
        result.diagnostics() == []
        !rendered.contains(JWT)
        !json.contains(JWT)
        json.contains('"clientJwt": "<sensitive>"')
    }

    def "clientJwt and oidc 'github' go to the plan's auth, the JWT as sensitive"() {
        when:
        def jwt = TemplateHarness.evaluate(template("clientId 'app'\n    tenant 't'\n    clientJwt var.oidcToken"))
        def github = TemplateHarness.evaluate(template("clientId 'app'\n    oidc 'github'"))
        String rendered = PlanRenderer.render(jwt.plan())

        then:
        jwt.diagnostics() == []
        jwt.plan().builds()[0].builder().auth().clientJwt() == JWT
        rendered =~ /(?m)^ +clientJwt +<sensitive>$/
        !rendered.contains(JWT)
        github.diagnostics() == []
        github.plan().builds()[0].builder().auth().oidc() == 'github'
        PlanRenderer.render(github.plan()) =~ /(?m)^ +oidc +github$/
    }

    def "a template's sign-in that cannot work is refused at validate: #signIn"() {
        expect:
        problems(signIn) == [message]

        where:
        signIn                                           || message
        "clientId 'app'\n    clientJwt 'not-a-jwt'"      || "7:5: `clientJwt` is not a JWT (three base64url parts separated by dots, the first a JSON header); give the token itself, for example from variable 'oidcToken', default: env('ARM_OIDC_TOKEN'), sensitive: true"
        "clientId 'app'\n    clientJwt ''"               || "7:5: `clientJwt` is empty (is the environment variable it is read from unset?); give the ID token, or on GitHub Actions use oidc 'github'"
        "clientId 'app'\n    oidc 'gitlab'"              || "7:5: `oidc` takes 'github' (GitHub Actions' token service); got 'gitlab'. For another CI system, pass its ID token with clientJwt"
        "oidc 'github'"                                  || "2:9: builder azure 'azure': `oidc` needs `clientId`, the application whose federated identity credential trusts the token"
        "clientJwt var.oidcToken"                        || "2:9: builder azure 'azure': `clientJwt` needs `clientId`, the application whose federated identity credential trusts the token"
        "clientId 'app'"                                 || "2:9: builder azure 'azure': `clientId` needs `clientSecret`, `clientCertificate`, `clientJwt` or `oidc 'github'`"
        "clientId 'app'\n    clientSecret 's'\n    oidc 'github'" || "2:9: builder azure 'azure': give one of `clientSecret`, `clientCertificate`, `clientJwt` and `oidc`, not several"
    }
}
