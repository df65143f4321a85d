package dev.imagebake.builder.azure

import dev.imagebake.emulator.Emulator
import dev.imagebake.plan.AzureBuilderSpec
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Path
import java.util.concurrent.Callable
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * Many builds of one process signing in at the same moment, each with its own credential, as parallel builds do.
 * azure-core's shared pool has 10 threads per core; when at least that many token requests ran on it, each
 * waited for its own reply to be read by a task queued behind them, until the 90 s read timeout.
 */
class ConcurrentSignInSpec extends Specification {
    @TempDir
    Path dir

    def "should sign in more builds at once than azure-core's shared pool has threads, well within the read timeout"() {
        given: 'an emulator, and more sign-ins than the shared pool has threads'
        Emulator emulator = Emulator.start(new Emulator.Settings(dir.resolve('emulator'), 0))
        int builds = 10 * Runtime.runtime.availableProcessors() + 4
        def threads = Executors.newFixedThreadPool(builds)
        def ready = new CountDownLatch(builds)
        def start = new CountDownLatch(1)

        when: 'each resolves its cloud and proves it with one read, as the sign-in step does, all released together'
        def signIns = (1..builds).collect {
            threads.submit({
                def clients = new AzureClients(AzureCloud.resolve(AzureBuilderSpec.Auth.DEFAULT,
                        emulator.cloudFile(), dir, [:]))
                ready.countDown()
                start.await()
                clients.resources().resourceGroups.checkExistence('images')
            } as Callable<Boolean>)
        }
        ready.await()
        start.countDown()
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(45)
        def answers = signIns.collect { it.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS) }

        then: 'every one got its answer long before a read could time out (90 s)'
        answers == [false] * builds

        cleanup:
        threads?.shutdownNow()
        emulator?.close()
    }
}
