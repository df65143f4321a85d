package dev.imagebake.emulator

import groovy.json.JsonSlurper

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * Runs the real Azure CLI ({@code az}, the Debian package) as a subprocess against an emulator, in a configuration
 * folder of its own, so that nothing is read from or written to the user's {@code ~/.azure}. The environment keeps
 * the CLI off the network: no telemetry, no survey, no dynamic extension installs, no proxy for the loopback.
 */
class AzureCli {
    /** Generous: the CLI alone takes 1-3 s to start on a loaded machine. */
    static final long TIMEOUT_SECONDS = 180

    final Path configDir
    final Path caCertificate
    /** Added to each run's environment last, e.g. {@code HTTPS_PROXY} for the emulator's proxy mode. */
    Map<String, String> extraEnv = [:]

    AzureCli(Path configDir, Path caCertificate) {
        this.configDir = configDir
        this.caCertificate = caCertificate
    }

    /** What one {@code az} run left behind. */
    static class Result {
        List<String> args
        int exitCode
        String out
        String err

        /** The JSON on stdout ({@code -o json}); null for commands that print nothing. */
        Object json() {
            out.trim() ? new JsonSlurper().parseText(out) : null
        }

        @Override
        String toString() {
            "az ${args.join(' ')} -> exit $exitCode\nstdout: $out\nstderr: $err"
        }
    }

    /** Runs {@code az args -o json} and returns its result; fails when the CLI cannot be started. */
    Result run(List<String> args) {
        start(args).call()
    }

    /** Runs the commands side by side (the CLI's start-up dominates), results in the order given. */
    List<Result> runAll(List<List<String>> commands) {
        def started = commands.collect { start(it) }
        started.collect { it.call() }
    }

    private Closure<Result> start(List<String> args) {
        def command = ['az'] + args + ['-o', 'json']
        def builder = new ProcessBuilder(command)
        def env = builder.environment()
        env.put('AZURE_CONFIG_DIR', configDir.toString())
        env.put('REQUESTS_CA_BUNDLE', caCertificate.toString())
        env.put('AZURE_CORE_COLLECT_TELEMETRY', 'no')
        env.put('AZURE_CORE_ONLY_SHOW_ERRORS', 'true')
        env.put('AZURE_CORE_NO_COLOR', 'true')
        env.put('AZURE_CORE_SURVEY_MESSAGE', 'false')
        env.put('AZURE_EXTENSION_USE_DYNAMIC_INSTALL', 'no')
        env.put('NO_PROXY', '127.0.0.1,localhost')
        env.put('no_proxy', '127.0.0.1,localhost')
        env.putAll(extraEnv)
        def out = Files.createTempFile(configDir.parent, 'az-out', '.json')
        def err = Files.createTempFile(configDir.parent, 'az-err', '.txt')
        builder.redirectOutput(out.toFile()).redirectError(err.toFile())
        Process process = builder.start()
        return {
            boolean finished = process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)
            if (!finished) {
                process.destroyForcibly().waitFor()
            }
            def result = new Result(args: args, exitCode: finished ? process.exitValue() : -1,
                    out: Files.readString(out), err: Files.readString(err))
            Files.delete(out)
            Files.delete(err)
            result
        }
    }

    /** The JSON of a command that must have succeeded; the failure message shows what the CLI printed. */
    static Object ok(Result result) {
        assert result.exitCode == 0: result.toString()
        result.json()
    }

    /**
     * Registers the emulator as the custom cloud {@code imagebake} (with the hybrid profile: see AzureCliSpec for
     * why), makes it the current cloud and logs in as the emulator's service principal.
     */
    void signInTo(Emulator emulator) {
        Map cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        ok(run(['cloud', 'register', '-n', 'imagebake', '--endpoint-resource-manager', emulator.endpoint(),
                '--profile', AzureCliSpec.PROFILE]))
        ok(run(['cloud', 'set', '-n', 'imagebake']))
        ok(run(['login', '--service-principal', '-u', cloud.clientId as String, '-p', cloud.clientSecret as String,
                '--tenant', cloud.tenantId as String]))
    }
}
