package dev.imagebake.rollout

import com.sun.net.httpserver.HttpServer
import dev.imagebake.plan.ScaleSetPost
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.time.Duration

/** The HTTP probe against a real local HTTP server; the SSH command is exercised by AzureRolloutSpec. */
class InstanceHealthSpec extends Specification {
    HttpServer server = HttpServer.create(new InetSocketAddress('127.0.0.1', 0), 0)

    @TempDir
    Path dir

    int status = 200
    List<String> paths = []

    def setup() {
        server.createContext('/', { exchange ->
            paths << exchange.requestURI.path
            exchange.sendResponseHeaders(status, -1)
            exchange.close()
        })
        server.start()
    }

    def cleanup() {
        server.stop(0)
    }

    private HealthProbe probe(String url) {
        InstanceHealth.of(new ScaleSetPost.Health(null, null, null, null, url, Duration.ofSeconds(5)), dir)
    }

    def "should count a 2xx answer at the instance's address as healthy"() {
        expect:
        probe("http://{address}:${server.address.port}/healthz").check(new ScaleSets.Address('127.0.0.1', null)) == null
        paths == ['/healthz']
    }

    def "should say what the probe answered when it is not 2xx"() {
        given:
        status = 503

        expect:
        probe("http://{address}:${server.address.port}/").check(new ScaleSets.Address('127.0.0.1', null)) ==
                "GET http://127.0.0.1:${server.address.port}/ answered 503"
    }

    def "should say why the probe could not be made"() {
        given:
        int port = server.address.port
        server.stop(0)

        when:
        def reason = probe("http://{address}:$port/").check(new ScaleSets.Address('127.0.0.1', null))

        then: 'a refused connection, said in words (the JDK gives it no message)'
        reason == "GET http://127.0.0.1:$port/ failed: connection refused (nothing listens there, or it is not " +
                'reachable)' || reason == "GET http://127.0.0.1:$port/ failed: Connection refused"
    }

    def "an instance without an address is unhealthy"() {
        expect:
        probe('http://{address}/').check(null) == 'the instance has no network address'
    }

    def "should refuse an SSH key file it cannot read before anything changes"() {
        when:
        InstanceHealth.of(new ScaleSetPost.Health('true', 'azureuser', 'missing_key', null, null,
                Duration.ofSeconds(5)), dir)

        then:
        def e = thrown(IOException)
        e.message == "health: cannot read the SSH private key file ${dir.resolve('missing_key')}"
    }
}
