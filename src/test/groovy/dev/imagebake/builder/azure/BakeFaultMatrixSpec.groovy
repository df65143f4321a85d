package dev.imagebake.builder.azure

import dev.imagebake.cli.Main
import dev.imagebake.emulator.AzureSdkClients
import dev.imagebake.emulator.Emulator
import dev.imagebake.emulator.Inventory
import dev.imagebake.emulator.arm.Conditions
import dev.imagebake.emulator.arm.Operations
import groovy.json.JsonSlurper
import spock.lang.Shared
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * Every ARM request a bake makes, each failed in every way ARM fails: a 500 the SDK's retry absorbs, a 500 and a
 * 429 that never stop, an operation that never completes and one that ends Failed. The requests are not listed
 * here: a fault-free bake runs first and its emulator's request log says what a bake does, so a step that starts
 * making a new request is covered without anyone remembering to add it.
 *
 * Each case bakes against an emulator of its own (a copy of one seeded folder, faults armed from the start) with the
 * real SDK over HTTPS, several at once. It must end with exit 0 (recovered) or exit 1 with a message naming the
 * operation, and afterwards the emulator may hold only the seeded gallery, the destinations, and what the build's
 * output reports (as an artifact or as left behind).
 */
class BakeFaultMatrixSpec extends Specification {
    @TempDir
    @Shared
    Path dir

    @Shared
    Path seeded

    @Shared
    Set<String> seededIds

    @Shared
    List<Map> operations

    static final int PARALLEL = Integer.getInteger('matrix.parallel', 10)

    static final String TEMPLATE = """
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    gallery 'corp', resourceGroup: 'images', image: 'web', version: '1.0.0', regions: [westeurope: 1, northeurope: 1]
    sshTimeout '30s'
    operationTimeout '8s'
    galleryTimeout '8s'
}
provision shell { inline 'echo provisioned' }
"""

    /** Words a message uses for what each kind of request works on; any one of them names the operation. */
    static final Map<String, List<String>> NAMES = [
            resourcegroups       : ['resource group'],
            networksecuritygroups: ['network security group'],
            publicipaddresses    : ['public IP address'],
            virtualnetworks      : ['virtual network', 'subnet'],
            networkinterfaces    : ['network interface'],
            virtualmachines      : ['VM '],
            deallocate           : ['deallocat'],
            generalize           : ['generaliz'],
            images               : ['managed image', 'image web'],
            galleries            : ['gallery corp', 'gallery '],
            versions             : ['gallery image version', 'version 1.0.0'],
    ]

    /** What each status poll or result URL belongs to: any operation of that provider. */
    static final Map<String, List<String>> POLLED = [
            'microsoft.network'  : ['network security group', 'public IP address', 'virtual network', 'network interface'],
            'microsoft.compute'  : ['VM ', 'deallocat', 'managed image', 'gallery image version', 'gallery '],
            'operationresults'   : ['resource group'],
    ]

    def setupSpec() {
        seeded = dir.resolve('seeded')
        Emulator emulator = Emulator.start(new Emulator.Settings(seeded, 0, Operations.Settings.DEFAULT,
                Emulator.Machines.NONE))
        try {
            AzureBuildFaultsSpec.seed(new AzureSdkClients(emulator.cloudFile()))
        } finally {
            emulator.close()
        }
        Files.delete(seeded.resolve('requests.log'))
        seededIds = Inventory.read(seeded).entries()*.id*.toLowerCase() as Set

        // The fault-free bake whose request log lists what a bake does.
        Map recording = bake('recording', null)
        assert recording.code == 0: recording.text
        operations = enumerate(Files.readAllLines(dir.resolve('recording/requests.log')))
        println "A bake made ${operations.size()} distinct ARM requests (${recording.seconds} s):"
        operations.each { println "  ${it.method} ${it.glob}${it.operation ? '  (starts an operation)' : ''}" }
    }

    def "every ARM request of a bake, failed in each way, ends recovered or with a named failure and nothing unreported left"() {
        given: 'every request with every fault; hang and lro-failed only where the request starts an operation'
        List<Map> cases = []
        operations.eachWithIndex { op, i ->
            cases << [op: op, fault: "${op.method} ${op.glob}:500x1"]
            cases << [op: op, fault: "${op.method} ${op.glob}:500x*,retry-after=1"]
            cases << [op: op, fault: "${op.method} ${op.glob}:429x*,retry-after=1"]
            if (op.operation) {
                cases << [op: op, fault: "${op.method} ${op.glob}:hang"]
                cases << [op: op, fault: "${op.method} ${op.glob}:lro-failed=InternalExecutionError"]
            }
        }
        cases.eachWithIndex { c, i -> c.name = "case${i}" }

        when:
        long started = System.nanoTime()
        def pool = Executors.newFixedThreadPool(PARALLEL)
        def futures = cases.collect { c -> pool.submit({ bake(c.name, c.fault) } as Callable<Map>) }
        List<Map> results = futures.collect { it.get(10, TimeUnit.MINUTES) }
        pool.shutdown()
        long seconds = (System.nanoTime() - started).intdiv(1_000_000_000L)
        List<String> problems = []
        [cases, results].transpose().each { Map c, Map r ->
            String why = judge(c.op as Map, r)
            println String.format('%-4s %5.1f s  %s%s', r.code, r.seconds as double, c.fault, why ? '  <== ' + why : '')
            if (why) {
                problems << "${c.fault}: ${why}\n" + r.text.readLines().findAll {
                    it.contains('FAILED') || it.contains('Left behind') || it.startsWith('  /') || it.contains('rror')
                }.take(12).collect { '      ' + it }.join('\n')
            }
        }
        println "${cases.size()} cases in ${seconds} s, ${PARALLEL} at a time"

        then:
        problems.join('\n') == ''
    }

    /** One bake against a fresh copy of the seeded emulator, with {@code fault} armed (or none). */
    Map bake(String name, String fault) {
        Path data = dir.resolve(name)
        Files.createDirectories(data)
        Files.list(seeded).withCloseable { files ->
            files.filter { Files.isRegularFile(it) && !it.fileName.toString().endsWith('.lock') }
                    .forEach { Files.copy(it, data.resolve(it.fileName)) }
        }
        Conditions conditions = fault == null ? Conditions.DEFAULT : Conditions.DEFAULT.withFaults(fault)
        Emulator emulator = Emulator.start(new Emulator.Settings(data, 0, Operations.Settings.DEFAULT,
                Emulator.Machines.SANDBOX).withConditions(conditions))
        Path template = data.resolve('t.imagebake.groovy')
        Files.writeString(template, TEMPLATE)
        def out = new ByteArrayOutputStream()
        long started = System.nanoTime()
        int code
        try {
            def print = new PrintStream(out, true, 'UTF-8')
            code = Main.run(print, print, [:], ['build', '--cloud', emulator.cloudFile().toString(), '--timeout', '150s',
                                                template.toString()] as String[])
        } finally {
            emulator.close()
        }
        [code: code, text: out.toString('UTF-8'), seconds: (System.nanoTime() - started) / 1e9,
         inventory: Inventory.read(data).entries(), log: Files.readAllLines(data.resolve('requests.log'))]
    }

    /** Null when the case ended as it must; otherwise what is wrong. */
    String judge(Map op, Map r) {
        String text = r.text
        if (!(r.code in [0, 1])) {
            return "exit ${r.code}"
        }
        if (r.code == 1 && !op.names.any { text.toLowerCase().contains(it.toLowerCase()) }) {
            return "the message names none of ${op.names}"
        }
        if (text =~ /\b(NullPointerException|IllegalStateException|IndexOutOfBounds|ClassCast)/) {
            return 'a Java exception reached the output'
        }
        // A resource counts as reported when its id, or the id of the resource group holding it, is in the output.
        List<String> unreported = r.inventory.findAll { e ->
            String id = e.id.toLowerCase()
            String group = id.replaceFirst('(/subscriptions/[^/]+/resourcegroups/[^/]+).*', '$1')
            !(id in seededIds) && !text.toLowerCase().contains(id) && !text.toLowerCase().contains(group + '  ')
        }.collect { "${it.id} (${it.provisioningState})".toString() }
        if (unreported) {
            return "left in the emulator without being reported: ${unreported}"
        }
        if (r.code == 0) {
            List<String> extra = r.inventory.findAll { e ->
                !(e.id.toLowerCase() in seededIds) && !(e.type in ['Microsoft.Compute/images',
                                                                  'Microsoft.Compute/galleries/images/versions'])
            }*.id
            if (extra) {
                return "succeeded but left ${extra}"
            }
        }
        null
    }

    /**
     * The distinct requests of a bake's log as fault targets: method and a path glob with the build's own id, the
     * subscription and operation ids replaced by {@code *}. Token requests are not ARM's and are left out.
     */
    static List<Map> enumerate(List<String> lines) {
        List<Map> requests = lines.collect { new JsonSlurper().parseText(it) as Map }
                .findAll { (it.path as String).startsWith('/subscriptions/') }
        String buildId = requests.collect { (it.path =~ /(?i)\/resourcegroups\/imagebake-([a-z0-9-]+)$/) }
                .find { it.find() }?.group(1)
        assert buildId: 'the recording bake made no temporary resource group'
        Map<String, Map> byKey = [:]
        for (Map request : requests) {
            List<String> segments = (request.path as String).split('/').toList()
            String glob = segments.withIndex().collect { String s, int i ->
                i == 2 || s ==~ /(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/ ? '*'
                        : s.replace(buildId, '*')
            }.join('/')
            String key = "${request.method} ${glob.toLowerCase()}"
            Map op = byKey.computeIfAbsent(key) { [method: request.method, glob: glob, operation: false] }
            if (request.method in ['PUT', 'POST', 'DELETE', 'PATCH'] && request.status in [201, 202]) {
                op.operation = true
            }
        }
        byKey.values().each { it.names = names(it.glob as String) }
        byKey.values().toList()
    }

    static List<String> names(String glob) {
        List<String> segments = glob.toLowerCase().split('/').toList()
        if (segments.contains('operations') || segments.contains('capsoperations')
                || segments.contains('operationresults')) {
            return segments.contains('operationresults') && !segments.contains('locations') ? POLLED.operationresults
                    : POLLED[segments[4]]
        }
        if (!segments.contains('providers')) {
            return NAMES.resourcegroups
        }
        // After providers/NAMESPACE come TYPE/NAME pairs, and perhaps an action.
        List<String> rest = segments.drop(segments.indexOf('providers') + 2)
        String last = rest.size() % 2 == 1 ? rest[-1] : rest[-2]
        if (last == 'images' && rest[0] == 'galleries') {
            return ['gallery ', 'image definition', 'image web']
        }
        NAMES[last]
    }
}
