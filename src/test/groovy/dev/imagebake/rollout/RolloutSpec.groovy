package dev.imagebake.rollout

import dev.imagebake.plan.ScaleSetPost
import dev.imagebake.plan.ScaleSetPost.Upgrade
import dev.imagebake.rollout.ScaleSets.ImageRef
import dev.imagebake.rollout.ScaleSets.Instance
import spock.lang.Specification

import java.time.Duration

/** The roll-out's decisions against a scale set kept in memory; AzureRolloutSpec runs it against the emulator. */
class RolloutSpec extends Specification {
    static final ImageRef OLD = ImageRef.of('/images/old')
    static final ImageRef NEW = ImageRef.of('/images/new')

    FakeScaleSets api = new FakeScaleSets()
    List<String> events = []
    List<String> lines = []

    Rollout rollout(HealthProbe probe = HealthProbe.RUNNING, Duration healthTimeout = Duration.ofMillis(200)) {
        new Rollout(api, probe, healthTimeout, { event, text, fields -> events << event; lines << text },
                { false }, Duration.ofMillis(10))
    }

    static ScaleSetPost settings(Map args = [:]) {
        new ScaleSetPost('rg', 'web', args.upgrade ?: Upgrade.AUTO, args.batch ?: 34, args.unhealthy ?: 0,
                Duration.ZERO, null, args.rollback ?: false, ScaleSetPost.ImageChoice.GALLERY)
    }

    def "should upgrade a Manual scale set in batches of maxBatchPercent, in instance order"() {
        given:
        api.create(5, 'Manual')

        when:
        def result = rollout().run(settings(batch: 40), NEW, false)

        then:
        result.ok()
        api.image == NEW
        api.upgradeCalls == [['0', '1'], ['2', '3'], ['4']]
        api.instances.values().every { it.image == NEW }
        events.count('rollout.batch.finished') == 3
        lines[0] == 'Scale set web (policy Manual, 5 instance(s)): /images/old -> /images/new; upgrade manual, ' +
                'batches: web_0, web_1; web_2, web_3; web_4'
    }

    def "should stop at the first unhealthy batch and roll the model and its instances back"() {
        given:
        api.create(3, 'Manual')
        HealthProbe probe = { ScaleSets.Address a -> a.ip() == '10.0.0.5' ? 'health command exited 1: no' : null }

        when:
        def result = rollout(probe).run(settings(rollback: true), NEW, false)

        then:
        !result.ok()
        result.rolledBack()
        result.unhealthy() == ['1': 'health command exited 1: no']
        lines.contains('batch 2/3: unhealthy: web_1 (health command exited 1: no)')
        api.upgradeCalls == [['0'], ['1'], ['0', '1'], ['2']]
        api.image == OLD
        api.instances.values().every { it.image == OLD }
        result.message().startsWith('Roll-out to web stopped: 1 unhealthy instance(s), more than ' +
                'maxUnhealthyPercent 0% allows (0)\n  web_1: health command exited 1: no\nRolled back:')
        api.instances.values().every { it.model == api.model }
    }

    def "without rollback a failed roll leaves the model on the new image and says how to go back"() {
        given:
        api.create(3, 'Manual')

        when:
        def result = rollout({ 'down' } as HealthProbe).run(settings(), NEW, false)

        then:
        !result.ok()
        api.image == NEW
        api.upgradeCalls == [['0']]
        result.message().contains('imagebake rollout --image /images/old --scale-set rg/web')
    }

    def "should tolerate unhealthy instances up to maxUnhealthyPercent"() {
        given:
        api.create(4, 'Manual')
        HealthProbe probe = { ScaleSets.Address a -> a.ip() == '10.0.0.4' ? 'down' : null }

        expect:
        rollout(probe).run(settings(batch: 50, unhealthy: 25), NEW, false).ok()
    }

    def "a dry run changes nothing"() {
        given:
        api.create(3, 'Manual')

        when:
        def result = rollout().run(settings(), NEW, true)

        then:
        result.ok()
        api.image == OLD
        api.upgradeCalls == []
        events == ['rollout.plan']
    }

    def "should follow Azure's rolling upgrade for a Rolling scale set and pass it the batch settings"() {
        given:
        api.create(3, 'Rolling')

        when:
        def result = rollout().run(settings(batch: 34, unhealthy: 20), NEW, false)

        then:
        result.ok()
        api.rollingPolicy == new ScaleSets.RollingPolicy(34, 20, 0)
        api.upgradeCalls == []
        events.contains('rollout.rolling')
    }

    def "an unhealthy instance after Azure's roll should roll the model back and follow the roll back"() {
        given:
        api.create(3, 'Rolling')
        HealthProbe probe = { ScaleSets.Address a -> a.ip() == '10.0.0.6' ? 'down' : null }

        when:
        def result = rollout(probe).run(settings(rollback: true), NEW, false)

        then:
        !result.ok()
        result.rolledBack()
        api.image == OLD
        api.rolls == 2
        api.instances.values().every { it.image == OLD }
        result.message().endsWith("Rolled back: the model points at /images/old again and Azure's rolling upgrade " +
                'returned the instances to it.')
    }

    def "should report a faulted rolling upgrade"() {
        given:
        api.create(3, 'Rolling')
        api.rollingOutcome = 'Faulted'

        when:
        def result = rollout().run(settings(), NEW, false)

        then:
        !result.ok()
        result.message().startsWith("Roll-out to web stopped: Azure's rolling upgrade ended Faulted: Boom: failed")
    }

    def "should refuse a mode the scale set's policy contradicts, before changing anything"() {
        given:
        api.create(2, policy)

        when:
        rollout().run(settings(upgrade: upgrade), NEW, false)

        then:
        def e = thrown(IllegalArgumentException)
        e.message.startsWith(message)
        api.image == OLD

        where:
        policy      | upgrade         | message
        'Manual'    | Upgrade.ROLLING | "upgrade 'rolling' needs a scale set whose upgrade policy is Rolling; this one's is Manual."
        'Rolling'   | Upgrade.MANUAL  | "upgrade 'manual' needs a scale set whose upgrade policy is Manual; this one's is Rolling"
        'Automatic' | Upgrade.MANUAL  | "upgrade 'manual' needs a scale set whose upgrade policy is Manual; this one's is Automatic"
    }

    def "a cancelled roll stops before the next batch and says where the scale set was left"() {
        given:
        api.create(3, 'Manual')
        boolean cancelled = false
        api.afterUpgrade = { cancelled = true }
        def rollout = new Rollout(api, HealthProbe.RUNNING, Duration.ofMillis(200),
                { event, text, fields -> events << event; lines << text }, { cancelled }, Duration.ofMillis(10))
        def settings = new ScaleSetPost('rg', 'web', Upgrade.MANUAL, 34, 0, Duration.ofSeconds(30), null, true,
                ScaleSetPost.ImageChoice.GALLERY)

        when:
        rollout.run(settings, NEW, false)

        then:
        thrown(InterruptedException)
        api.upgradeCalls == [['0']]
        api.image == NEW
        lines.last() == 'Roll-out to web cancelled: the model points at /images/new; web_0 was reimaged to' +
                ' it. Roll back with: imagebake rollout --image /images/old --scale-set rg/web'
        api.tags == ['imagebake-rollout-from': '/images/old']
    }

    def "a roll cancelled before it changes anything sends nothing and says so"() {
        given:
        api.create(3, 'Manual')
        def rollout = new Rollout(api, HealthProbe.RUNNING, Duration.ofMillis(200),
                { event, text, fields -> events << event; lines << text }, { true }, Duration.ofMillis(10))

        when:
        rollout.run(settings(), NEW, false)

        then:
        thrown(InterruptedException)
        api.image == OLD
        api.upgradeCalls == []
        lines.last() == 'Roll-out to web cancelled before anything changed: the model still points at /images/old'
    }

    def "Ctrl-C during a batch's health check, with no pause, sends no further batch"() {
        given: 'cancelled while the first batch is being checked'
        api.create(3, 'Manual')
        boolean cancelled = false
        HealthProbe probe = { ScaleSets.Address a -> cancelled = true; null }
        def rollout = new Rollout(api, probe, Duration.ofMillis(200),
                { event, text, fields -> events << event; lines << text }, { cancelled }, Duration.ofMillis(10))

        when:
        rollout.run(settings(), NEW, false)

        then:
        thrown(InterruptedException)
        api.upgradeCalls == [['0']]
        lines.last().startsWith('Roll-out to web cancelled: the model points at /images/new; web_0 was')
    }

    def "a cancelled rolling upgrade says that Azure's roll goes on"() {
        given: 'a roll Azure has not finished when imagebake is cancelled'
        api.create(2, 'Rolling')
        api.rollingOutcome = 'RollingForward'
        boolean cancelled = false
        api.afterSetImage = { cancelled = true }
        def rollout = new Rollout(api, HealthProbe.RUNNING, Duration.ofMillis(200),
                { event, text, fields -> events << event; lines << text }, { cancelled }, Duration.ofMillis(10))

        when:
        rollout.run(settings(), NEW, false)

        then:
        thrown(InterruptedException)
        lines.last() == "Roll-out to web cancelled: the model points at /images/new; Azure's rolling upgrade to it " +
                'goes on (az vmss rolling-upgrade cancel stops it). Roll back with: imagebake rollout --image ' +
                '/images/old --scale-set rg/web'
    }

    def "a roll-back that is cancelled says what may be left and how to finish it"() {
        given: 'an unhealthy first batch, and Ctrl-C while the roll-back reimages it'
        api.create(3, 'Manual')
        boolean cancelled = false
        api.afterUpgrade = { if (api.upgradeCalls.size() == 2) { cancelled = true; throw new InterruptedException() } }
        HealthProbe probe = { ScaleSets.Address a -> 'health command exited 1' }
        def rollout = new Rollout(api, probe, Duration.ofMillis(50),
                { event, text, fields -> events << event; lines << text }, { cancelled }, Duration.ofMillis(10))

        when:
        rollout.run(settings(rollback: true), NEW, false)

        then:
        thrown(InterruptedException)
        api.upgradeCalls == [['0'], ['0']]
        lines.last().startsWith('Roll-out to web stopped: ')
        lines.last().endsWith('\nRoll-back cancelled: the model may not point at /images/old yet, and web_0 ' +
                'may still run /images/new. Finish it with: imagebake rollout --image /images/old --scale-set rg/web')
    }

    def "image references: IDs and marketplace names compare without case; --image text is an ID or a marketplace URN"() {
        expect:
        ImageRef.of('/Subscriptions/S/images/A').sameAs(ImageRef.of('/subscriptions/s/images/a'))
        ImageRef.parse('canonical:UbuntuServer:22_04-LTS:latest').sameAs(
                new ImageRef(null, 'Canonical', 'ubuntuserver', '22_04-lts', 'latest'))
        !ImageRef.parse('Canonical:UbuntuServer:22_04-lts:latest').sameAs(ImageRef.of('/images/x'))
        ImageRef.parse('/SharedGalleries/abc/Images/web/Versions/1.0.0').id() == '/SharedGalleries/abc/Images/web/Versions/1.0.0'

        when:
        ImageRef.parse(text)

        then:
        def e = thrown(IllegalArgumentException)
        e.message == "--image takes a resource ID (/subscriptions/...) or a marketplace image " +
                "PUBLISHER:OFFER:SKU:VERSION; got '${text}'"

        where:
        text << ['null:null:null:null', 'Canonical:offer:sku', 'web-image', 'a::b:c']
    }

    def "a Rolling scale set keeps its own rolling-upgrade policy unless the template gives batch settings"() {
        given: 'a scale set whose policy is 10% batches, 30% unhealthy, 15 s pause'
        api.create(2, 'Rolling')
        api.ownPolicy = new ScaleSets.RollingPolicy(10, 30, 15)
        def given = new ScaleSetPost('rg', 'web', Upgrade.AUTO, batch, null, null, null, false,
                ScaleSetPost.ImageChoice.GALLERY)

        when:
        def result = rollout().run(given, NEW, false)

        then:
        result.ok()
        api.rollingPolicy == sent

        where:
        batch | sent
        null  | null
        50    | new ScaleSets.RollingPolicy(50, 30, 15)
    }

    def "unset batch settings of a Manual roll are the defaults: 20% batches, 20% unhealthy, no pause"() {
        expect:
        Rollout.applied(new ScaleSetPost('rg', 'web', Upgrade.MANUAL, null, null, null, null, false,
                ScaleSetPost.ImageChoice.GALLERY), null) == new ScaleSetPost('rg', 'web', Upgrade.MANUAL, 20, 20,
                Duration.ZERO, null, false, ScaleSetPost.ImageChoice.GALLERY)
    }

    def "a scale set already on the image (its ID in other case) only has its stragglers upgraded"() {
        given:
        api.create(3, 'Manual')
        api.image = NEW
        api.instances['0'].image = NEW

        when:
        def result = rollout().run(settings(), ImageRef.of('/IMAGES/NEW'), false)

        then:
        result.ok()
        api.upgradeCalls == [['1'], ['2']]
        lines[0].startsWith('Scale set web (policy Manual, 3 instance(s)): already points at /IMAGES/NEW')
    }

    def "an Automatic scale set is left to Azure, then every instance is checked"() {
        given:
        api.create(2, 'Automatic')

        when:
        def result = rollout().run(settings(), NEW, false)

        then:
        result.ok()
        api.upgradeCalls == []
        lines[0].endsWith('; upgrade by Azure, every instance at once')
        lines.last() == 'Rolled /images/new out to web: 2 instance(s) on the new model, healthy'
    }

    def "upgrade none changes only the model"() {
        given:
        api.create(2, 'Manual')

        when:
        def result = rollout().run(settings(upgrade: Upgrade.NONE), NEW, false)

        then:
        result.ok()
        api.image == NEW
        api.upgradeCalls == []
    }

    def "what an unfinished roll remembers fits Azure's tags: a long image ID is split, other tags are kept"() {
        given: 'a gallery version ID longer than the 256 characters a tag value may have'
        String id = '/subscriptions/s/resourceGroups/' + 'r' * 90 + '/providers/Microsoft.Compute/galleries/' +
                'g' * 80 + '/images/' + 'i' * 80 + '/versions/1.0.0'
        def memory = new RollMemory(ImageRef.of(id), new ScaleSets.RollingPolicy(50, 20, 20, 60))

        when:
        def tags = memory.applyTo([team: 'web', 'imagebake-rollout-from-3': 'left by an older roll'])

        then:
        tags.keySet() == ['team', 'imagebake-rollout-from', 'imagebake-rollout-from-2', 'imagebake-rollout-policy'] as Set
        tags.values().every { it.length() <= 256 }
        RollMemory.of(tags) == memory
        new RollMemory(null, null).applyTo(tags) == [team: 'web']
    }

    /**
     * A scale set in memory: instances reimage at once and run; their address is 10.0.0.(id+4). Each change of the
     * image is a new model; an instance is on the latest model once upgraded after it.
     */
    static class FakeScaleSets implements ScaleSets {
        ImageRef image = OLD
        int model
        Map<String, String> tags = [:]
        List<List> updates = []
        String policy
        Map<String, Map> instances = [:]
        List<List<String>> upgradeCalls = []
        RollingPolicy rollingPolicy
        String rollingOutcome = 'Completed'
        RollingStatus rolling
        int rolls

        void create(int count, String policy) {
            this.policy = policy
            count.times { instances[it.toString()] = [image: OLD, model: 0] }
        }

        RollingPolicy ownPolicy

        Model read(String rg, String name) {
            new Model('/vmss/web', image, policy, instances.size(), 'Uniform', ownPolicy, 'westeurope', tags)
        }

        void update(String rg, String name, Map<String, String> tags, RollingPolicy rolling) {
            updates << [tags, rolling]
            if (tags != null) {
                this.tags = tags
            }
            if (rolling != null) {
                ownPolicy = rolling
            }
        }

        String missing(ImageRef image, String location) { image.id() == '/images/none' ? 'NotFound: no such image' : null }

        Closure afterSetImage = {}

        void setImage(String rg, String name, ImageRef image, RollingPolicy rolling) {
            afterSetImage()
            this.image = image
            model++
            this.rollingPolicy = rolling
            if (policy == 'Automatic') {
                instances.values().each { it.image = image; it.model = model }
            }
            if (policy == 'Rolling') {
                rolls++
                this.rolling = new RollingStatus(rollingOutcome, "start-$rolls", 3, 0, 0, 0,
                        rollingOutcome == 'Faulted' ? 'Boom: failed' : null)
                if (rollingOutcome == 'Completed') {
                    instances.values().each { it.image = image; it.model = model }
                }
            }
        }

        Closure afterUpgrade = {}

        void upgrade(String rg, String name, List<String> ids) {
            upgradeCalls << ids
            ids.each { instances[it].image = image; instances[it].model = model }
            afterUpgrade()
        }

        List<Instance> instances(String rg, String name) {
            instances.collect { id, i -> new Instance(id, "web_$id", i.model == model, 'Succeeded', 'running', i.image) }
        }

        RollingStatus rollingStatus(String rg, String name) { rolling }

        Address address(String rg, String name, String id) { new Address("10.0.0.${id.toInteger() + 4}", null) }
    }
}
