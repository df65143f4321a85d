package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.plan.PuppetServerStep;
import dev.imagebake.plan.ToolOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code provision puppetServer}: Packer's {@code puppet-server}. The client certificate folder goes to
 * {@code STAGING/certs} and the private key folder to {@code STAGING/private_keys}, every transfer checked on both
 * sides; then {@code puppet agent --onetime --no-daemonize --detailed-exitcodes} runs in the working folder with the
 * facts as {@code FACTER_} variables, asking the server for the node's catalog. Exit 0 and 2 are success, as with
 * {@code provision puppet}.
 */
public final class PuppetServerProvisioner extends Provisioner<PuppetServerStep> {
    public PuppetServerProvisioner(PuppetServerStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        ToolRun run = new ToolRun(context, name(), spec.tool());
        String staging = spec.tool().stagingDirectory();
        run.staged(() -> {
            String puppet = PuppetRun.install(run, spec.puppetBinDir());
            Map<String, String> facts = PuppetRun.facts(context, spec.facts());
            Map<String, String> values = PuppetRun.values(run, puppet,
                    spec.workingDirectory() != null ? spec.workingDirectory() : staging, facts, spec.extraArguments());
            if (spec.clientCertPath() != null) {
                values.put(".ClientCertPath", staging + "/certs");
                run.upload(spec.clientCertPath(), staging + "/certs");
            }
            if (spec.clientPrivateKeyPath() != null) {
                values.put(".ClientPrivateKeyPath", staging + "/private_keys");
                run.upload(spec.clientPrivateKeyPath(), staging + "/private_keys");
            }
            values.put(".PuppetServer", spec.puppetServer() != null ? spec.puppetServer() : "");
            values.put(".PuppetNode", spec.puppetNode() != null ? spec.puppetNode() : "");
            PuppetRun outcome = new PuppetRun("puppet agent");
            int status = run.stream("puppet agent", command(run, puppet, values, facts), outcome::see);
            outcome.check(context, status, spec.ignoreExitCodes());
        });
    }

    /**
     * The step's execute command with its placeholders filled, or Packer's command: in the working folder, through
     * {@code sudo -n env} with the facts and the build's variables, {@code puppet agent --onetime --no-daemonize
     * --detailed-exitcodes} (and {@code --color=false}, as {@code provision puppet} adds), then --server,
     * --certname, --certdir, --privatekeydir and the extra arguments.
     */
    String command(ToolRun run, String puppet, Map<String, String> values, Map<String, String> facts) {
        if (spec.tool().executeCommand() != null) {
            return PuppetProvisioner.exports(run.environment()) + CommandTemplate.parse(spec.tool().executeCommand(),
                    PuppetServerStep.PLACEHOLDERS, ToolOptions.describe(PuppetServerStep.PLACEHOLDERS))
                    .expandNamed(values);
        }
        Map<String, String> vars = new TreeMap<>();
        facts.forEach((name, value) -> vars.put("FACTER_" + name, value));
        List<String> words = new ArrayList<>(List.of(puppet, "agent", "--onetime", "--no-daemonize",
                "--detailed-exitcodes", "--color=false"));
        if (spec.puppetServer() != null) {
            words.add("--server=" + spec.puppetServer());
        }
        if (spec.puppetNode() != null) {
            words.add("--certname=" + spec.puppetNode());
        }
        if (values.containsKey(".ClientCertPath")) {
            words.add("--certdir=" + values.get(".ClientCertPath"));
        }
        if (values.containsKey(".ClientPrivateKeyPath")) {
            words.add("--privatekeydir=" + values.get(".ClientPrivateKeyPath"));
        }
        words.addAll(spec.extraArguments());
        return "cd " + ShellQuoting.quote(values.get(".WorkingDir")) + " && " + run.sudo() + run.envPrefix(vars)
                + ToolRun.words(words);
    }
}
