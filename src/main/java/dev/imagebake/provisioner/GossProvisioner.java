package dev.imagebake.provisioner;

import dev.imagebake.communicator.CommandTemplate;
import dev.imagebake.communicator.ShellQuoting;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.plan.GossStep;
import dev.imagebake.plan.ToolOptions;
import dev.imagebake.util.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code provision goss}: the goss Packer plugin. In the remote path (the staging folder): goss is downloaded from
 * the plugin's release URL when the machine has neither the download nor a {@code goss} on the PATH, checked with
 * {@code goss --version}; the variables file and each test file or folder are uploaded to
 * {@code REMOTE_PATH/NAME}; then {@code goss validate} runs there. The plugin also renders the goss file
 * ({@code render}, {@code render -d}) and downloads the results; imagebake runs {@code validate} only. A failing test
 * (any exit status but 0) fails the step, quoting goss's summary and the failing tests, unless {@code inspect}.
 */
public final class GossProvisioner extends Provisioner<GossStep> {
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final Pattern SUMMARY = Pattern.compile("Count: \\d+, Failed: \\d+.*");
    private static final Pattern FAILED_TEST = Pattern.compile("[A-Z][A-Za-z]*: .+:");
    private static final int FAILURES_QUOTED = 3;

    public GossProvisioner(GossStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        ToolRun run = new ToolRun(context, name(), spec.tool());
        String remote = spec.tool().stagingDirectory();
        run.staged(() -> {
            String goss = install(context, run);
            String vars = null;
            if (spec.varsFile() != null) {
                vars = remote + "/" + Path.of(spec.varsFile()).getFileName();
                run.upload(spec.varsFile(), vars);
            }
            for (String test : spec.tests()) {
                run.upload(test, remote + "/" + Path.of(test).getFileName());
            }
            Outcome outcome = new Outcome();
            int status = run.stream("goss validate", command(run, goss, vars), outcome::see);
            outcome.check(context, status);
        });
    }

    /** The goss command on the machine, installed first when it is missing; checked to run. */
    private String install(BuildContext context, ToolRun run) throws Exception {
        String download = ShellQuoting.quote(spec.downloadPath());
        String present = "test -x " + download + " || command -v goss >/dev/null 2>&1";
        if (run.status(present) != 0) {
            if (spec.skipInstall()) {
                throw new StepFailedException("goss is not on the machine (neither " + spec.downloadPath()
                        + " nor goss on the PATH) and skipInstall is true; install it in an earlier step");
            } else if (spec.tool().install() != null || spec.tool().installCommand() != null) {
                run.ensureInstalled("goss", present, List.of("goss"), "");
            } else {
                context.info("goss is not on the machine; downloading " + spec.url() + " to " + spec.downloadPath());
                int status = run.stream("download goss", downloadCommand(spec));
                if (status != 0) {
                    throw new StepFailedException("downloading goss from " + spec.url() + " failed (exit status "
                            + status + "; see the output above)");
                }
            }
        }
        String goss = run.output("find the goss command",
                "if test -x " + download + "; then echo " + download + "; else command -v goss; fi");
        String version = run.output("run `" + goss + " --version`", ShellQuoting.quote(goss) + " --version");
        context.info("goss: " + goss + " (" + version + ")");
        return goss;
    }

    /** The plugin's download: curl, else wget, to the download path; then {@code chmod 555} and {@code --version}. */
    static String downloadCommand(GossStep spec) {
        List<String> curl = new ArrayList<>(List.of("curl", "-L"));
        List<String> wget = new ArrayList<>(List.of("wget"));
        if (spec.skipSslChk()) {
            curl.add("-k");
            wget.add("--no-check-certificate");
        }
        if (spec.username() != null) {
            curl.addAll(List.of("-u", spec.username() + (spec.password() != null ? ":" + spec.password() : "")));
            wget.add("--user=" + spec.username());
            if (spec.password() != null) {
                wget.add("--password=" + spec.password());
            }
        }
        curl.addAll(List.of("-o", spec.downloadPath(), spec.url()));
        wget.addAll(List.of("-O", spec.downloadPath(), spec.url()));
        String path = ShellQuoting.quote(spec.downloadPath());
        return "{ " + ToolRun.words(curl) + " || " + ToolRun.words(wget) + "; } && chmod 555 " + path + " && " + path
                + " --version";
    }

    /**
     * The plugin's validate command, or the step's executeCommand: in the remote path, through {@code sudo -n env}
     * (with useSudo) or {@code env}, with the build's variables and varsEnv, goss's global options, then
     * {@code validate --retry-timeout R --sleep S [-f FORMAT] [-o OPTION]}.
     */
    String command(ToolRun run, String goss, String varsPath) {
        List<String> global = new ArrayList<>();
        if (spec.gossFile() != null) {
            global.addAll(List.of("--gossfile", spec.gossFile()));
        }
        if (varsPath != null) {
            global.addAll(List.of("--vars", varsPath));
        }
        if (!spec.varsInline().isEmpty()) {
            global.addAll(List.of("--vars-inline", Json.write(spec.varsInline())));
        }
        List<String> validate = new ArrayList<>(List.of("--retry-timeout", spec.retryTimeout(), "--sleep",
                spec.sleep()));
        if (spec.format() != null) {
            validate.addAll(List.of("-f", spec.format()));
        }
        if (spec.formatOptions() != null) {
            validate.addAll(List.of("-o", spec.formatOptions()));
        }
        String remote = spec.tool().stagingDirectory();
        if (spec.tool().executeCommand() != null) {
            Map<String, String> values = new HashMap<>();
            values.put(".RemotePath", remote);
            values.put(".Sudo", run.sudoUsed() ? "sudo -n" : "");
            List<String> env = new ArrayList<>();
            spec.varsEnv().forEach((name, value) -> env.add(name + "=" + ShellQuoting.quote(value)));
            values.put(".Env", String.join(" ", env));
            values.put(".Goss", goss);
            values.put(".GlobalOptions", ToolRun.words(global));
            values.put(".ValidateOptions", ToolRun.words(validate));
            return PuppetProvisioner.exports(run.environment()) + CommandTemplate.parse(spec.tool().executeCommand(),
                    GossStep.PLACEHOLDERS, ToolOptions.describe(GossStep.PLACEHOLDERS)).expandNamed(values);
        }
        List<String> words = new ArrayList<>(List.of(goss));
        words.addAll(global);
        words.add("validate");
        words.addAll(validate);
        return "cd " + ShellQuoting.quote(remote) + " && " + run.sudo() + run.envPrefix(spec.varsEnv())
                + ToolRun.words(words);
    }

    /** What goss's output says about the tests, and whether the step fails. */
    private final class Outcome {
        private String summary;
        private boolean inFailures;
        private final List<String> failures = new ArrayList<>();
        private final List<String> errors = new ArrayList<>();
        private String last;

        void see(String line) {
            String plain = ANSI.matcher(line).replaceAll("").strip();
            if (plain.isEmpty()) {
                return;
            }
            last = plain;
            if (SUMMARY.matcher(plain).find()) {
                summary = plain;
            } else if (plain.equals("Failures/Skipped:")) {
                inFailures = true;
            } else if (plain.startsWith("not ok ") || inFailures && FAILED_TEST.matcher(plain).matches()) {
                // TAP's failing tests, or the failing tests rspecish and documentation list at the end.
                if (failures.size() < FAILURES_QUOTED) {
                    failures.add(plain.replaceAll(":$", ""));
                }
            } else if (plain.toLowerCase().startsWith("error") && errors.size() < FAILURES_QUOTED) {
                errors.add(plain);
            }
        }

        void check(BuildContext context, int status) throws StepFailedException {
            if (status == 0) {
                context.info("goss validate: the tests passed" + (summary != null ? " (" + summary + ")" : ""));
                return;
            }
            List<String> said = new ArrayList<>();
            if (summary != null) {
                said.add(summary);
            }
            if (!failures.isEmpty()) {
                said.add("failed: " + String.join("; ", failures));
            }
            said.addAll(errors);
            if (said.isEmpty() && last != null) {
                said.add(last);
            }
            String message = "goss validate failed (exit status " + status + ")"
                    + (said.isEmpty() ? "" : ": " + String.join("; ", said));
            if (spec.inspect()) {
                context.warn(message + "; inspect is true, so the build goes on");
                return;
            }
            throw new StepFailedException(message);
        }
    }
}
