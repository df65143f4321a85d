package dev.imagebake.emulator

import dev.imagebake.cli.ExitCodes
import dev.imagebake.cli.Main
import dev.imagebake.testsupport.Poll
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.util.concurrent.TimeUnit

/** {@code imagebake emulator}: prints where it listens and where cloud.json is, never the secret. */
class EmulatorCommandSpec extends Specification {
    @TempDir
    Path dir

    def "should print the endpoint and the cloud.json path, but not the secret"() {
        given:
        def out = new ByteArrayOutputStream()
        def printer = new PrintStream(out, true)
        int code = -1
        def thread = Thread.start { code = Main.run(printer, printer, 'emulator', '--data', dir.toString()) }

        when: 'it has started'
        Poll.until('the emulator saying it has started', 20) { out.toString('UTF-8').contains('Ctrl-C') }
        String printed = out.toString('UTF-8')
        def cloud = new JsonSlurper().parse(dir.resolve('cloud.json').toFile()) as Map
        thread.interrupt()
        thread.join(10_000)

        then:
        printed.contains("Azure emulator listening on ${cloud.resourceManagerEndpoint - ~/\/$/}")
        printed.contains("Cloud settings (endpoint, CA, credentials): ${dir.resolve('cloud.json')}")
        !printed.contains(cloud.clientSecret as String)
        code == ExitCodes.INTERRUPTED
    }

    def "--proxy listens as a CONNECT proxy for Azure's public endpoints, prints it and writes it into cloud.json"() {
        given:
        def out = new ByteArrayOutputStream()
        def printer = new PrintStream(out, true)
        def thread = Thread.start { Main.run(printer, printer, 'emulator', '--data', dir.toString(), '--vms', 'NONE',
                '--proxy') }

        when:
        Poll.until('the emulator saying it has started', 20) { out.toString('UTF-8').contains('Ctrl-C') }
        def cloud = new JsonSlurper().parse(dir.resolve('cloud.json').toFile()) as Map
        URI proxy = URI.create(cloud.proxy as String)
        String answer = new Socket(proxy.host, proxy.port).withCloseable { socket ->
            socket.outputStream.write('CONNECT management.azure.com:443 HTTP/1.1\r\nHost: management.azure.com:443\r\n\r\n'
                    .getBytes('US-ASCII'))
            new BufferedReader(new InputStreamReader(socket.inputStream, 'US-ASCII')).readLine()
        }
        String printed = out.toString('UTF-8')
        thread.interrupt()
        thread.join(10_000)

        then:
        cloud.proxy ==~ /http:\/\/127\.0\.0\.1:\d+/
        printed.contains("Proxy for Azure's public endpoints: ${cloud.proxy} (HTTPS_PROXY; trust ${cloud.caCertificate})")
        answer == 'HTTP/1.1 200 Connection Established'
    }

    def "--federated-credential makes the application trust an issuer's tokens for a subject, once across restarts"() {
        given:
        String issuer = 'https://token.actions.githubusercontent.com'
        String subject = 'repo:octo-org/web-images:ref:refs/heads/main'
        def start = {
            def out = new ByteArrayOutputStream()
            def printer = new PrintStream(out, true)
            def thread = Thread.start { Main.run(printer, printer, 'emulator', '--data', dir.toString(),
                    '--federated-credential', "${issuer}=${subject}".toString()) }
            Poll.until('the emulator saying it has started', 20) { out.toString('UTF-8').contains('Ctrl-C') }
            thread.interrupt()
            thread.join(10_000)
            out.toString('UTF-8')
        }

        when: 'started twice with the same flag'
        String first = start()
        start()
        def cloud = new JsonSlurper().parse(dir.resolve('cloud.json').toFile()) as Map
        def saved = new JsonSlurper().parse(dir.resolve('federated-credentials.json').toFile()) as List

        then:
        first.contains("Federated credential: tokens from ${issuer} for subject ${subject} sign in as application ${cloud.clientId}.")
        saved == [[name: 'cli-1', issuer: issuer, subject: subject, audiences: ['api://AzureADTokenExchange']]]
    }

    def "--federated-credential without ISSUER=SUBJECT is invalid usage"() {
        given:
        def out = new ByteArrayOutputStream()
        def printer = new PrintStream(out, true)

        when:
        int code = Main.run(printer, printer, 'emulator', '--data', dir.toString(), '--federated-credential', 'repo:o/r')

        then:
        code == ExitCodes.INVALID
        out.toString('UTF-8').contains("invalid value for option '--federated-credential': 'repo:o/r' is not " +
                "ISSUER=SUBJECT, e.g. https://token.actions.githubusercontent.com=repo:OWNER/REPO:ref:refs/heads/main")
    }

    def "a second emulator on the same data folder, in another process, is refused and changes nothing"() {
        given: 'an emulator running on the folder'
        Emulator first = Emulator.start(new Emulator.Settings(dir, 0,
                dev.imagebake.emulator.arm.Operations.Settings.DEFAULT))
        String cloud = java.nio.file.Files.readString(dir.resolve('cloud.json'))
        String java = Path.of(System.getProperty('java.home'), 'bin', 'java').toString()

        when:
        def p = new ProcessBuilder(java, '-cp', System.getProperty('java.class.path'), 'dev.imagebake.cli.Main',
                'emulator', '--data', dir.toString()).redirectErrorStream(true).start()
        String output = p.inputStream.getText('UTF-8')
        p.waitFor(60, TimeUnit.SECONDS)

        then:
        p.exitValue() == ExitCodes.FAILED
        output.readLines().last() == "Error: another emulator uses the data folder ${dir.toAbsolutePath()} " +
                "(process ${ProcessHandle.current().pid()}); stop it first, or give another --data"
        java.nio.file.Files.readString(dir.resolve('cloud.json')) == cloud

        cleanup:
        first?.close()
    }

    def "the data folder is free again once an emulator stops"() {
        when:
        Emulator.start(new Emulator.Settings(dir, 0, dev.imagebake.emulator.arm.Operations.Settings.DEFAULT)).close()
        Emulator again = Emulator.start(new Emulator.Settings(dir, 0,
                dev.imagebake.emulator.arm.Operations.Settings.DEFAULT))

        then:
        again != null

        cleanup:
        again?.close()
    }
}
