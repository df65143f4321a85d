package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.plan.PuppetStep;
import dev.imagebake.plan.ToolOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code provision puppet}: Packer's {@code puppet-masterless}. The Hiera configuration goes to
 * {@code STAGING/hiera.yaml}, a manifest folder to {@code STAGING/manifests}, each module folder to
 * {@code STAGING/module-N} and the manifest to {@code STAGING/manifests/NAME} (a folder of manifests: to
 * {@code STAGING/manifests}), every transfer checked on both sides; then {@code puppet apply --detailed-exitcodes}
 * runs in the working folder with the facts as {@code FACTER_} variables. Exit 0 (nothing to change) and 2 (changes
 * applied) are success, as Puppet defines them; 4 and 6 mean some resources failed, and the step's error quotes
 * Puppet's first {@code Error:} lines, which name the resource.
 */
public final class PuppetProvisioner extends Provisioner<PuppetStep> {
    public PuppetProvisioner(PuppetStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        ToolRun run = new ToolRun(context, name(), spec.tool());
        String staging = spec.tool().stagingDirectory();
        run.staged(() -> {
            String puppet = PuppetRun.install(run, spec.puppetBinDir());
            Map<String, String> values = PuppetRun.values(run, puppet,
                    spec.workingDirectory() != null ? spec.workingDirectory() : staging, facts(context),
                    spec.extraArguments());
            if (spec.hieraConfig() != null) {
                values.put(".HieraConfigPath", staging + "/hiera.yaml");
                run.upload(spec.hieraConfig(), staging + "/hiera.yaml");
            }
            if (spec.manifestDir() != null) {
                values.put(".ManifestDir", staging + "/manifests");
                run.upload(spec.manifestDir(), staging + "/manifests");
            }
            List<String> modules = new ArrayList<>();
            for (int i = 0; i < spec.modulePaths().size(); i++) {
                String target = staging + "/module-" + i;
                run.upload(spec.modulePaths().get(i), target);
                modules.add(target);
            }
            values.put(".ModulePath", String.join(":", modules));
            values.put(".ManifestFile", uploadManifest(context, run, staging));
            PuppetRun outcome = new PuppetRun("puppet apply");
            int status = run.stream("puppet apply", command(run, puppet, values, facts(context)), outcome::see);
            outcome.check(context, status, spec.ignoreExitCodes());
        });
    }

    /** Uploads the manifest (file or folder) as Packer does; the path puppet apply is given. */
    private String uploadManifest(BuildContext context, ToolRun run, String staging) throws Exception {
        String manifests = staging + "/manifests";
        if (Files.isDirectory(context.templateFolder().resolve(spec.manifest()))) {
            run.upload(spec.manifest(), manifests);
            return manifests;
        }
        String target = manifests + "/" + Path.of(spec.manifest()).getFileName();
        run.upload(spec.manifest(), target);
        return target;
    }

    /** The facts: Packer's two, then the step's own (which win). */
    private Map<String, String> facts(BuildContext context) {
        return PuppetRun.facts(context, spec.facts());
    }

    /** {@code FACTER_name='value' ...}, as Packer writes them for {@code {{.FacterVars}}}. */
    static String facterVars(Map<String, String> facts) {
        List<String> vars = new ArrayList<>();
        facts.forEach((name, value) -> vars.add("FACTER_" + name + "=" + ShellQuoting.quote(value)));
        return String.join(" ", vars);
    }

    /**
     * The step's execute command with its placeholders filled, or the default: in the working folder, through
     * {@code sudo -n env} with the facts and the build's variables (so no sudo policy has to keep the environment),
     * {@code puppet apply --detailed-exitcodes} and its options.
     */
    String command(ToolRun run, String puppet, Map<String, String> values, Map<String, String> facts) {
        if (spec.tool().executeCommand() != null) {
            String exports = exports(run.environment());
            return exports + CommandTemplate.parse(spec.tool().executeCommand(), PuppetStep.PLACEHOLDERS,
                    ToolOptions.describe(PuppetStep.PLACEHOLDERS)).expandNamed(values);
        }
        Map<String, String> vars = new TreeMap<>();
        facts.forEach((name, value) -> vars.put("FACTER_" + name, value));
        // --color=false: the output is read as lines, not shown on a terminal.
        List<String> words = new ArrayList<>(List.of(puppet, "apply", "--detailed-exitcodes", "--color=false"));
        if (!values.get(".ModulePath").isEmpty()) {
            words.add("--modulepath=" + values.get(".ModulePath"));
        }
        if (values.containsKey(".HieraConfigPath")) {
            words.add("--hiera_config=" + values.get(".HieraConfigPath"));
        }
        if (values.containsKey(".ManifestDir")) {
            words.add("--manifestdir=" + values.get(".ManifestDir"));
        }
        words.addAll(spec.extraArguments());
        words.add(values.get(".ManifestFile"));
        return "cd " + ShellQuoting.quote(values.get(".WorkingDir")) + " && " + run.sudo() + run.envPrefix(vars)
                + ToolRun.words(words);
    }

    /** {@code export NAME='value'} lines for the build's variables, before a command the template wrote. */
    static String exports(Map<String, String> environment) {
        StringBuilder out = new StringBuilder();
        environment.forEach((name, value) -> out.append("export ").append(name).append('=')
                .append(ShellQuoting.quote(value)).append('\n'));
        return out.toString();
    }
}
