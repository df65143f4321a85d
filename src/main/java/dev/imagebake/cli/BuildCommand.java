package dev.imagebake.cli;

import dev.imagebake.builder.Builders;
import dev.imagebake.builder.azure.AzureOptions;
import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.engine.BuildResult;
import dev.imagebake.engine.Engine;
import dev.imagebake.engine.Interaction;
import dev.imagebake.engine.OnError;
import dev.imagebake.engine.Reporter;
import dev.imagebake.engine.Secrets;
import dev.imagebake.plan.Build;
import dev.imagebake.report.ConsoleReporter;
import dev.imagebake.report.JsonReporter;
import dev.imagebake.report.LibraryLog;
import dev.imagebake.report.LogFileReporter;
import dev.imagebake.report.Reporters;
import dev.imagebake.util.DurationText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/** {@code imagebake build}: runs the plan. */
@Command(name = "build", mixinStandardHelpOptions = true,
        description = "Build every builder of the template (in parallel), provision, capture, clean up. "
                + "Ctrl-C stops and cleans up; a second Ctrl-C skips the cleanup and prints what is left.")
final class BuildCommand implements Callable<Integer> {
    @Mixin
    TemplateOptions template;

    @Option(names = "--on-error", defaultValue = "cleanup", paramLabel = "cleanup|abort|ask",
            description = "When a step fails: clean up (default), abort (keep everything for inspection), "
                    + "or ask (retry, clean up or abort).")
    String onError;

    @Bounds(min = 0)
    @Option(names = "--parallel", defaultValue = "0", paramLabel = "N",
            description = "Run at most N builds at once (default: all).")
    int parallel;

    @Option(names = "--only", paramLabel = "NAME", description = "Run only these builds (repeatable).")
    List<String> only = new ArrayList<>();

    @Option(names = "--except", paramLabel = "NAME", description = "Skip these builds (repeatable).")
    List<String> except = new ArrayList<>();

    @Option(names = "--fail-fast", description = "When one build fails, cancel the others (they clean up).")
    boolean failFast;

    @Option(names = "--json", description = "Print JSON-lines events instead of the console output.")
    boolean json;

    @Option(names = "--log-file", paramLabel = "FILE",
            description = "Write a full log (redacted) to FILE; each run starts the file anew.")
    Path logFile;

    @Bounds(min = 0, aboveMin = true, duration = true)
    @Option(names = "--timeout", paramLabel = "DURATION", description = "Cancel (and clean up) after this long.")
    String timeout;

    @Option(names = "--cloud", paramLabel = "FILE",
            description = "Reach Azure through this cloud file (endpoints, CA, credentials), as written by "
                    + "`imagebake emulator` or for Azure Stack Hub; default: $IMAGEBAKE_CLOUD, else the template's cloud.")
    Path cloud;

    @Option(names = "--emulator",
            description = "Run against a local Azure emulator started in this process on a temporary folder: "
                    + "the whole bake with no Azure account.")
    boolean emulator;

    @Option(names = "--emulator-data", paramLabel = "DIR",
            description = "With --emulator: keep the emulator's state in DIR (kept afterwards, for "
                    + "`imagebake emulator --data DIR` or `emulator inventory`) instead of a temporary folder.")
    Path emulatorData;

    @Option(names = "--force", description = "Replace an existing managed image or gallery image version.")
    boolean force;

    @Option(names = "--resume", description = "Continue the build that failed with --on-error=abort, on the machine "
            + "it kept (builder ssh or azure), from the first step that changed or did not succeed; see its resume record "
            + ".NAME.imagebake.resume.json beside the template.")
    boolean resume;

    @Option(names = "--from", paramLabel = "STEP", description = "With --resume: start again at this provisioning "
            + "step (a number from 1, or a name such as 'shell (line 14)'), even though an earlier step changed.")
    String from;

    @Bounds(min = 0, aboveMin = true, duration = true)
    @Option(names = "--resume-lease", defaultValue = "24h", paramLabel = "DURATION", description = "How long a resume "
            + "record written by this build holds its machine: until then gc leaves it alone (default: 24h).")
    String resumeLease;

    @Option(names = "--cache", negatable = true, description = "Use the step cache (as `cache true` in the azure "
            + "builder) even where the template does not ask for it; --no-cache: never, even where it does.")
    Boolean cache;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws Exception {
        OnError policy;
        try {
            policy = OnError.valueOf(onError.toUpperCase());
        } catch (IllegalArgumentException e) {
            main.err.println("Error: --on-error takes cleanup, abort or ask; got '" + onError + "'");
            return ExitCodes.INVALID;
        }
        Duration limit = timeout == null ? null : DurationText.parse(timeout);
        if (timeout != null && limit == null) {
            main.err.println("Error: --timeout takes a duration like 30m or 1h30m; got '" + timeout + "'");
            return ExitCodes.INVALID;
        }
        if (cloud == null && main.environment.get("IMAGEBAKE_CLOUD") != null
                && !main.environment.get("IMAGEBAKE_CLOUD").isEmpty()) {
            cloud = Path.of(main.environment.get("IMAGEBAKE_CLOUD"));
        }
        if (emulator && cloud != null) {
            main.err.println("Error: --emulator and --cloud (or IMAGEBAKE_CLOUD) exclude each other");
            return ExitCodes.INVALID;
        }
        if (emulatorData != null && !emulator) {
            // Without --emulator the build would go to the cloud the environment names: refuse, never guess.
            main.err.println("Error: --emulator-data is where --emulator keeps its state; give --emulator too");
            return ExitCodes.INVALID;
        }
        if (cloud != null && !java.nio.file.Files.isRegularFile(cloud)) {
            main.err.println("Error: no cloud file " + cloud + (main.environment.get("IMAGEBAKE_CLOUD") != null
                    && cloud.toString().equals(main.environment.get("IMAGEBAKE_CLOUD")) ? " (from IMAGEBAKE_CLOUD)"
                    : ""));
            return ExitCodes.INVALID;
        }
        EvaluationResult result = template.evaluate(main.err, main.environment);
        if (!result.ok()) {
            Diagnostics.trace(main, result);
            if (json) {
                JsonReporter events = new JsonReporter(main.out);
                for (var problem : result.diagnostics()) {
                    events.templateError(problem.at().file(), problem.at().line(), problem.at().column(),
                            problem.message());
                }
            }
            return ExitCodes.INVALID;
        }
        // Overlaps with connecting and the first steps, which wait on the machine. Started before the evaluation, it
        // took one of 2 cores from it: src/bench/ssh-vs-packer.sh's 20-step build, 11 alternating runs of the same
        // jar with only this line moved, median 1745 ms before against 1581 ms here.
        dev.imagebake.communicator.CryptoWarmup.start();
        List<Build> builds = new ArrayList<>();
        for (Build b : result.plan().builds()) {
            if ((only.isEmpty() || only.contains(b.name())) && !except.contains(b.name())) {
                builds.add(b);
            }
        }
        if (builds.isEmpty()) {
            main.err.println("Error: --only/--except leave no build to run");
            return ExitCodes.INVALID;
        }
        if (cache != null) {
            builds = withCache(builds, cache);
        }
        if (from != null && !resume) {
            main.err.println("Error: --from says where --resume starts again; give --resume too");
            return ExitCodes.INVALID;
        }
        Duration lease = DurationText.parse(resumeLease);
        if (lease == null) {
            main.err.println("Error: --resume-lease takes a duration like 24h; got '" + resumeLease + "'");
            return ExitCodes.INVALID;
        }
        ResumeRun resumeRun = new ResumeRun(template.template, main.err, lease);
        int refused = resumeRun.prepare(builds, resume, from);
        if (refused != ExitCodes.OK) {
            return refused;
        }
        builds = resumeRun.builds();
        boolean terminal = System.console() != null;
        Interaction interaction = terminal ? this::ask : null;
        if (policy == OnError.ASK && interaction == null) {
            main.err.println("warning: --on-error=ask needs a terminal; cleaning up on error instead");
        }
        Secrets secrets = new Secrets(result.plan().sensitiveValues(), result.plan().sensitiveWholeValues());
        List<Reporter> targets = new ArrayList<>();
        targets.add(json ? new JsonReporter(main.out) : new ConsoleReporter(main.out,
                terminal && System.getenv("NO_COLOR") == null && main.environment.get("NO_COLOR") == null, terminal));
        PrintStream log = logFile == null ? null
                : new PrintStream(new FileOutputStream(logFile.toFile(), false), true, StandardCharsets.UTF_8);
        if (log != null) {
            targets.add(new LogFileReporter(log));
        }
        Path folder = template.template.toAbsolutePath().getParent();
        LocalEmulator started;
        try {
            started = emulator ? LocalEmulator.start(main.err, builds, emulatorData, folder) : null;
        } catch (dev.imagebake.emulator.DataDirInUseException e) {
            main.err.println("Error: " + e.getMessage());
            return ExitCodes.FAILED;
        }
        // The libraries' warnings go to the log file (redacted), or nowhere: never to the console.
        AutoCloseable libraryLog = log == null ? () -> { } : LibraryLog.sendTo(line -> {
            synchronized (log) {
                log.println(secrets.redact(line));
            }
        });
        try (LocalEmulator local = started; AutoCloseable closeLibraryLog = libraryLog) {
            Path cloudFile = local != null ? local.cloudFile() : cloud;
            if (local != null) {
                secrets.add(local.clientSecret());
            }
            int code = run(result, builds, secrets, targets, log, folder, policy, interaction, limit,
                    new AzureOptions(cloudFile, template.template, main.environment, force), resumeRun);
            if (local != null && policy == OnError.ABORT && code != ExitCodes.OK) {
                // The kept machine lives in the emulator, which ends with this command.
                main.err.println(emulatorData == null
                        ? "note: --emulator ran Azure inside this command, and what it kept stops with it; to keep"
                        + " it, build with --emulator-data DIR, then run: imagebake emulator --data DIR"
                        : "note: the kept machine runs again once the emulator does: imagebake emulator --data "
                        + emulatorData.toAbsolutePath());
            }
            return code;
        }
    }

    /** The builds with the step cache on ({@code --cache}) or off ({@code --no-cache}), whatever they say. */
    private List<Build> withCache(List<Build> builds, boolean on) {
        List<Build> changed = new ArrayList<>();
        for (Build b : builds) {
            if (b.builder() instanceof dev.imagebake.plan.AzureBuilderSpec spec && (on ? spec.cache() == null
                    : spec.cache() != null)) {
                if (on && !spec.dataDisks().isEmpty()) {
                    main.err.println("warning: --cache: build " + b.name() + " runs without the step cache: it has "
                            + "data disks, and the cache snapshots the OS disk only");
                    changed.add(b);
                    continue;
                }
                b = new Build(b.name(), spec.withCache(on ? dev.imagebake.plan.AzureBuilderSpec.StepCache.DEFAULT
                        : null), b.steps(), b.onError(), b.post(), b.declaredAt());
            }
            changed.add(b);
        }
        return changed;
    }

    private int run(EvaluationResult result, List<Build> builds, Secrets secrets, List<Reporter> targets,
                    PrintStream log, Path folder, OnError policy, Interaction interaction, Duration limit,
                    AzureOptions azure, ResumeRun resumeRun) throws Exception {
        Engine engine = new Engine(resumeRun.source(new Builders(UUID.randomUUID().toString(), azure), folder),
                new Reporters(secrets, targets), policy, parallel, interaction, folder, failFast);
        AtomicInteger interrupts = new AtomicInteger();
        Runnable onSignal = () -> {
            if (interrupts.incrementAndGet() == 1) {
                main.err.println("\nInterrupted: stopping and cleaning up (press Ctrl-C again to skip the cleanup)");
                engine.cancel();
            } else {
                main.err.println("\nSkipping the cleanup: what is left will be listed");
                engine.skipCleanup();
            }
        };
        Signals.install(onSignal);
        java.util.Timer timer = null;
        if (limit != null) {
            timer = new java.util.Timer("imagebake-timeout", true);
            timer.schedule(new java.util.TimerTask() {
                @Override
                public void run() {
                    main.err.println("\n--timeout " + timeout + " reached: stopping and cleaning up");
                    engine.cancel();
                }
            }, limit.toMillis());
        }
        try {
            List<BuildResult> results = engine.run(result.plan(), builds, secrets);
            if (!json) {
                main.out.print(secrets.redact(ConsoleReporter.summary(results)));
            }
            int resumed = resumeRun.finish(results, secrets);
            if (interrupts.get() > 0) {
                return ExitCodes.INTERRUPTED;
            }
            if (resumed != ExitCodes.OK) {
                return resumed;
            }
            // A build whose cleanup left resources behind did not do all it promised: the exit code says so.
            return results.stream().allMatch(r -> r.status() == BuildResult.Status.SUCCEEDED
                    && r.leftovers().isEmpty()) ? ExitCodes.OK : ExitCodes.FAILED;
        } finally {
            Signals.restore();
            if (timer != null) {
                timer.cancel();
            }
            if (log != null) {
                log.close();
            }
        }
    }

    private String ask(String prompt) {
        main.err.print(prompt);
        main.err.flush();
        try {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
