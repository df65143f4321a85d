package dev.imagebake.emulator

import groovy.json.JsonOutput
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo
import org.bouncycastle.asn1.x509.Extension
import org.bouncycastle.asn1.x509.GeneralName
import org.bouncycastle.asn1.x509.GeneralNames
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder
import org.bouncycastle.openssl.PEMParser
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter
import org.bouncycastle.openssl.jcajce.JcaPEMWriter
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.cert.CertificateFactory
import java.security.spec.ECGenParameterSpec
import java.security.cert.X509Certificate
import javax.security.auth.x500.X500Principal

/**
 * Proxy mode: a client with Azure's public endpoints built in reaches the emulator through its CONNECT proxy, trusting
 * only the emulator's CA, and the proxy refuses every other destination.
 */
class ProxyModeSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Emulator emulator

    @Shared
    Map cloud

    @Shared
    HttpClient viaProxy

    def setupSpec() {
        emulator = Emulator.start(new Emulator.Settings(dir.resolve('data'), 0).withProxy())
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        URI proxy = URI.create(emulator.proxy())
        viaProxy = HttpClient.newBuilder().proxy(ProxySelector.of(new InetSocketAddress(proxy.host, proxy.port)))
                .sslContext(AzureSdkClients.trusting(emulator.caCertificate())).build()
    }

    def cleanupSpec() {
        emulator?.close()
    }

    def "should write the proxy into cloud.json"() {
        expect:
        emulator.proxy() ==~ /http:\/\/127\.0\.0\.1:\d+/
        cloud.proxy == emulator.proxy()
    }

    def "should refuse to tunnel to any host but Azure's public endpoints on port 443, saying why"() {
        when:
        def other = rawProxy('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
        def wrongPort = rawProxy('CONNECT management.azure.com:80 HTTP/1.1\r\nHost: management.azure.com:80\r\n\r\n')
        def plain = rawProxy('GET http://management.azure.com/ HTTP/1.1\r\nHost: management.azure.com\r\n\r\n')

        then:
        other.startsWith('HTTP/1.1 403 Forbidden\r\n')
        other.contains("The imagebake emulator's proxy answers only for login.microsoftonline.com, "
                + 'login.windows.net, management.azure.com, management.core.windows.net on port 443; it refuses '
                + 'example.com:443 rather than send it to the internet.')
        wrongPort.startsWith('HTTP/1.1 403 Forbidden\r\n')
        wrongPort.contains('it refuses management.azure.com:80')
        plain.startsWith('HTTP/1.1 405 Method Not Allowed\r\n')
        plain.contains("does not forward 'GET' requests")

        and: 'the request log says what was refused, as clients show only the status ("Tunnel connection failed: 403")'
        List<Map> refused = Files.readAllLines(dir.resolve('data/requests.log'))
                .collect { new JsonSlurper().parseText(it) as Map }.findAll { it.error == 'ProxyRefused' }
        refused.collect { [it.method, it.path, it.status] }.containsAll([
                ['CONNECT', 'example.com:443', 403], ['CONNECT', 'management.azure.com:80', 403],
                ['GET', 'http://management.azure.com/', 405]])
    }

    def "should sign in at login.microsoftonline.com and serve management.azure.com, its URLs leading back through the proxy"() {
        given:
        def form = "grant_type=client_credentials&client_id=${cloud.clientId}&client_secret=" +
                "${URLEncoder.encode(cloud.clientSecret as String, 'UTF-8')}&resource=" +
                URLEncoder.encode('https://management.azure.com/', 'UTF-8')

        when: 'the v1 sign-in Packer uses, at the public authority'
        def signIn = viaProxy.send(HttpRequest.newBuilder(URI.create(
                "https://login.microsoftonline.com/${cloud.tenantId}/oauth2/token"))
                .header('Content-Type', 'application/x-www-form-urlencoded')
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString())
        String token = new JsonSlurper().parseText(signIn.body()).access_token
        String group = "https://management.azure.com/subscriptions/${cloud.subscriptionId}/resourcegroups/via-proxy"
        def created = arm(token, 'PUT', group + '?api-version=2021-04-01', [location: 'westeurope'])
        def deleted = arm(token, 'DELETE', group + '?api-version=2021-04-01', null)
        String location = deleted.headers().firstValue('Location').orElse(null)
        def polls = []
        for (int i = 0; i < 20 && (polls.isEmpty() || polls.last() == 202); i++) {
            polls << arm(token, 'GET', location, null).statusCode()
        }
        def metadata = arm(null, 'GET', 'https://management.azure.com/metadata/endpoints?api-version=2019-05-01', null)

        then:
        signIn.statusCode() == 200
        created.statusCode() == 201
        deleted.statusCode() == 202
        location.startsWith("https://management.azure.com/subscriptions/${cloud.subscriptionId}/")
        polls.last() == 200
        arm(token, 'HEAD', group + '?api-version=2021-04-01', null).statusCode() == 404
        new JsonSlurper().parseText(metadata.body()).authentication.loginEndpoint ==~ /https:\/\/management\.azure\.com\/.*/

        and: 'the requests reached the emulator itself (its request log)'
        Files.readString(dir.resolve('data/requests.log')).contains('via-proxy')
    }

    def "should let the Azure CLI work with its built-in AzureCloud, only HTTPS_PROXY and REQUESTS_CA_BUNDLE set"() {
        given: "a fresh configuration folder: az knows only the public cloud, whose endpoints are Azure's"
        Files.createDirectories(dir.resolve('az'))
        def az = new AzureCli(dir.resolve('az/config'), emulator.caCertificate())
        az.extraEnv = [HTTPS_PROXY: emulator.proxy()]

        when:
        def login = az.run(['login', '--service-principal', '-u', cloud.clientId, '-p', cloud.clientSecret,
                            '--tenant', cloud.tenantId])
        def cloudShown = az.run(['cloud', 'show'])
        def group = az.run(['group', 'create', '-n', 'from-az', '-l', 'westeurope'])

        then:
        login.exitCode == 0
        (login.json() as List)*.id.contains(cloud.subscriptionId)
        cloudShown.json().name == 'AzureCloud'
        cloudShown.json().endpoints.resourceManager == 'https://management.azure.com/'
        group.exitCode == 0
        group.json().id == "/subscriptions/${cloud.subscriptionId}/resourceGroups/from-az".toString()

        when: 'a compute command: under AzureCloud\'s default profile Debian\'s az fails before any request'
        def vmsLatest = az.run(['vm', 'list', '-g', 'from-az'])
        def profile = az.run(['cloud', 'update', '-n', 'AzureCloud', '--profile', '2020-09-01-hybrid'])
        def vmsHybrid = az.run(['vm', 'list', '-g', 'from-az'])

        then: 'so emulator.md tells to switch AzureCloud to the hybrid profile, as for the custom cloud'
        vmsLatest.exitCode != 0
        vmsLatest.err.contains("API version 2022-11-01 does not have operation group 'virtual_machines'")
        profile.exitCode == 0
        vmsHybrid.exitCode == 0
        vmsHybrid.json() == []

        and: 'it signed in through the tenant discovery document and the token endpoint, as at login.microsoftonline.com'
        String log = Files.readString(dir.resolve('data/requests.log'))
        log.contains("\"path\":\"/${cloud.tenantId}/v2.0/.well-known/openid-configuration\",\"status\":200")
        !log.contains(cloud.clientSecret as String)
    }

    def "should give an older data folder's server certificate Azure's host names, under the same CA"() {
        given: 'a data folder whose server certificate names only 127.0.0.1 and localhost'
        Path old = dir.resolve('old')
        Emulator.start(new Emulator.Settings(old, 0)).close()
        byte[] ca = Files.readAllBytes(old.resolve('ca.pem'))
        oldServerCertificate(old)
        assert !dnsNames(old.resolve('server.pem')).contains('management.azure.com')

        when:
        def restarted = Emulator.start(new Emulator.Settings(old, 0).withProxy())
        int status
        try {
            URI proxy = URI.create(restarted.proxy())
            status = HttpClient.newBuilder().proxy(ProxySelector.of(new InetSocketAddress(proxy.host, proxy.port)))
                    .sslContext(AzureSdkClients.trusting(old.resolve('ca.pem'))).build()
                    .send(HttpRequest.newBuilder(URI.create('https://management.azure.com/metadata/endpoints?api-version=2019-05-01'))
                            .build(), HttpResponse.BodyHandlers.ofString()).statusCode()
        } finally {
            restarted.close()
        }

        then:
        dnsNames(old.resolve('server.pem')).containsAll(['localhost', 'management.azure.com',
                                                         'login.microsoftonline.com', 'management.core.windows.net'])
        Files.readAllBytes(old.resolve('ca.pem')) == ca
        status == 200
    }

    private HttpResponse<String> arm(String token, String method, String url, Map body) {
        def request = HttpRequest.newBuilder(URI.create(url))
        if (token != null) {
            request.header('Authorization', "Bearer $token")
        }
        if (body != null) {
            request.header('Content-Type', 'application/json')
        }
        viaProxy.send(request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(JsonOutput.toJson(body))).build(), HttpResponse.BodyHandlers.ofString())
    }

    /** What the proxy answers to a hand-written request: status line, headers and body. */
    private String rawProxy(String request) {
        URI proxy = URI.create(emulator.proxy())
        new Socket(proxy.host, proxy.port).withCloseable { socket ->
            socket.soTimeout = 30_000
            socket.outputStream.write(request.getBytes(StandardCharsets.US_ASCII))
            socket.outputStream.flush()
            new String(socket.inputStream.readAllBytes(), StandardCharsets.UTF_8)
        }
    }

    /** Replaces the data folder's server certificate by one under its CA naming only 127.0.0.1 and localhost. */
    private static void oldServerCertificate(Path data) {
        def caKey = new PEMParser(Files.newBufferedReader(data.resolve('ca-key.pem'))).withCloseable {
            new JcaPEMKeyConverter().getPrivateKey(it.readObject() as PrivateKeyInfo) }
        def ca = Files.newInputStream(data.resolve('ca.pem')).withCloseable {
            CertificateFactory.getInstance('X.509').generateCertificate(it) } as X509Certificate
        def generator = KeyPairGenerator.getInstance('EC')
        generator.initialize(new ECGenParameterSpec('secp256r1'))
        KeyPair keys = generator.generateKeyPair()
        def builder = new JcaX509v3CertificateBuilder(ca, BigInteger.valueOf(System.nanoTime()),
                new Date(System.currentTimeMillis() - 3_600_000), new Date(System.currentTimeMillis() + 86_400_000),
                new X500Principal('CN=localhost'), keys.public)
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames([
                new GeneralName(GeneralName.iPAddress, '127.0.0.1'),
                new GeneralName(GeneralName.dNSName, 'localhost')] as GeneralName[]))
        def certificate = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder('SHA256withECDSA').build(caKey)))
        [('server.pem'): certificate, ('server-key.pem'): new JcaPKCS8Generator(keys.private, null)].each { name, object ->
            def text = new StringWriter()
            new JcaPEMWriter(text).withCloseable { it.writeObject(object) }
            Files.writeString(data.resolve(name), text.toString())
        }
    }

    private static List<String> dnsNames(Path pem) {
        def certificate = Files.newInputStream(pem).withCloseable {
            CertificateFactory.getInstance('X.509').generateCertificate(it) } as X509Certificate
        certificate.subjectAlternativeNames.findAll { it[0] == 2 }.collect { it[1] as String }
    }
}
