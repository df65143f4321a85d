package dev.imagebake.dsl

import dev.imagebake.plan.AzureBuilderSpec
import dev.imagebake.plan.PlanJson
import spock.lang.Specification

import java.time.Duration

/** The azure builder's `cache` keyword: what a template may write, what the plan holds, and what is refused where. */
class StepCacheKeywordSpec extends Specification {
    static String template(String cache, String more = '') {
        """builder azure {
    location 'westeurope'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    ${more}
    ${cache}
}
"""
    }

    AzureBuilderSpec.StepCache cacheOf(String cache) {
        def result = TemplateHarness.evaluate(template(cache))
        assert result.diagnostics() == []
        (result.plan().builds()[0].builder() as AzureBuilderSpec).cache()
    }

    List<String> problems(String cache, String more = '') {
        TemplateHarness.evaluate(template(cache, more)).diagnostics()
                .collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() }
    }

    def "cache true, cache false, and cache with its settings"() {
        expect:
        cacheOf('cache true') == new AzureBuilderSpec.StepCache(Duration.ofDays(7), 'imagebake-cache')
        cacheOf('cache false') == null
        cacheOf('') == null
        cacheOf("cache ttl: '36h', resourceGroup: 'bake-cache'") == new AzureBuilderSpec.StepCache(
                Duration.ofHours(36), 'bake-cache')
        cacheOf("cache ttl: '2d'") == new AzureBuilderSpec.StepCache(Duration.ofDays(2), 'imagebake-cache')
    }

    def "the plan's JSON shows the cache"() {
        when:
        def json = new groovy.json.JsonSlurper().parseText(PlanJson.render(TemplateHarness.evaluate(
                template("cache ttl: '3d'")).plan())) as Map

        then:
        json.builds[0].builder.cache == [ttl: '72h', resourceGroup: 'imagebake-cache']
    }

    def "bad settings are refused where they are written"() {
        expect:
        problems(cache, more) == expected

        where:
        cache                              | more             || expected
        "cache ttl: 'soon'"                | ''               || ["6:5: `cache ttl` takes a duration like '90s', '10m' or '1h30m'; got 'soon'"]
        "cache ttl: '0s'"                  | ''               || ['6:5: `cache ttl` must be longer than 0s']
        "cache size: 3"                    | ''               || ['6:5: `cache` has no option `size`. Options: resourceGroup, ttl']
        "cache resourceGroup: 'a/b'"       | ''               || ['6:5: ' + problemWithGroup('a/b')]
        'cache true'                       | 'dataDisk sizeGb: 8' || ["1:9: builder azure 'azure': `cache` snapshots the OS disk only, and this build has data disks, whose content a cached machine would not have: remove `cache` or the data disks"]
    }

    static String problemWithGroup(String name) {
        TemplateHarness.evaluate(template('', "buildResourceGroup '${name}'")).diagnostics()[0].message()
                .replace('buildResourceGroup', 'resourceGroup')
    }

    def "checkpoint is for provisioning steps; a post step that says it is refused"() {
        when:
        def result = TemplateHarness.evaluate(template('cache true') + """provision shell {
    inline 'true'
    checkpoint true
}
post manifest {
    output 'm.json'
    checkpoint true
}
""")

        then:
        result.diagnostics().collect { "${it.at().line()}:${it.at().column()}: ${it.message()}".toString() } ==
                ['12:6: manifest: `checkpoint` marks a provisioning step for the step cache; a post step runs after ' +
                         'the image is made']
    }
}
