package dev.imagebake.importer

import dev.imagebake.cli.Main
import spock.lang.Specification
import spock.lang.Unroll

import java.nio.file.Files
import java.nio.file.Path

/**
 * Every template of the corpus of real public azure-arm Packer templates (src/test/resources/packer, provenance in
 * its README) imports without an exception, and its to-do list (evaluation errors of the result included) matches
 * the golden file golden/NN.todo.txt. After an intended change, regenerate with -Dgolden.update=true and review.
 */
class ImportCorpusSpec extends Specification {
    static final Path CORPUS = Path.of('src/test/resources/packer')

    @Unroll
    def "the corpus template #input imports with exit code #code and the golden to-do list"() {
        when:
        def out = new ByteArrayOutputStream()
        def err = new ByteArrayOutputStream()
        int exit = Main.run(new PrintStream(out, true, 'UTF-8'), new PrintStream(err, true, 'UTF-8'),
                'import', '--check', CORPUS.resolve(input).toString())
        String todo = out.toString('UTF-8')
        Path golden = CORPUS.resolve("golden/${input.take(2)}.todo.txt")
        if (Boolean.getBoolean('golden.update')) {
            Files.writeString(golden, todo)
        }

        then:
        exit == code
        !err.toString('UTF-8').contains('Exception')
        !err.toString('UTF-8').contains('--stacktrace')
        todo == Files.readString(golden)

        where:
        input                                                         | code
        '01-kontain-km-az-test'                                       | 1
        '02-markti-baseline-ubuntu-2004'                              | 0
        '03-aztfmod-caf-source-sig'                                   | 1
        '04-fabiokerber-awx-ansible'                                  | 1
        '05-arvados-compute-image-azure/arvados-images-azure.json'    | 1
        '06-k8s-image-builder-capi-azure/packer.json'                 | 1
        '07-happypathway-salt-masterless/templates/packer.json.tpl'   | 1
        '08-runner-images-ubuntu2004/ubuntu2004.json'                 | 1
        '09-packer-plugin-azure-oidc-windows/oidc-example.json'       | 1
        '10-azure-isucon13'                                           | 0
        '11-azure-dev-box-images-vscodebox'                           | 1
        '12-agentbaker-vhd-sig/vhd-image-builder-sig.json'            | 1
        '13-nomad-image-factory-rhel'                                 | 1
        '14-jenkins-infra-packer-images'                              | 1
        '15-iterative-cml/packer'                                     | 1
        '16-ibrahim4habeeb-ubuntu20-sig'                              | 1
    }
}
