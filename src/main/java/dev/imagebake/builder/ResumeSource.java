package dev.imagebake.builder;

import dev.imagebake.communicator.SshCommunicator;
import dev.imagebake.communicator.SshEndpoint;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.PlannedStep;
import dev.imagebake.engine.ResumeRecord;
import dev.imagebake.engine.StepFailedException;
import dev.imagebake.engine.StepSource;
import dev.imagebake.engine.KeptMachineGoneException;
import dev.imagebake.engine.KeptResources;
import dev.imagebake.plan.AzureBuilderSpec;
import dev.imagebake.plan.Build;
import dev.imagebake.plan.SshBuilderSpec;
import dev.imagebake.plan.Step;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The steps of a build that can be resumed ({@code build --resume}): notes which step each build has reached, so
 * that a build kept by {@code --on-error=abort} leaves a {@link ResumeRecord.Entry}; and, for a build that resumes,
 * reconnects to the kept machine with its host key pinned and leaves out the provisioning steps that already ran.
 */
public final class ResumeSource implements StepSource {
    /** How a build resumes: the kept machine, and how many provisioning steps (from the first) not to run again. */
    public record Resume(ResumeRecord.Entry kept, int skip) {
    }

    private static final int FINISHING = Integer.MAX_VALUE;

    private final StepSource steps;
    private final Map<String, List<String>> hashes;
    private final Map<String, Resume> resumes;
    private final Map<String, AtomicInteger> reached = new ConcurrentHashMap<>();
    private final Map<String, ResumeRecord.Entry> kept = new ConcurrentHashMap<>();
    private final Set<String> gone = ConcurrentHashMap.newKeySet();
    private final java.time.Duration lease;
    private final java.nio.file.Path record;
    private final java.nio.file.Path folder;
    private final Map<String, String[]> stamps = new ConcurrentHashMap<>();

    /**
     * @param hashes  per build, the hash of each provisioning step ({@link StepHashes})
     * @param resumes the builds that resume, by name; the others start afresh
     */
    public ResumeSource(StepSource steps, Map<String, List<String>> hashes, Map<String, Resume> resumes) {
        this(steps, hashes, resumes, java.time.Duration.ofHours(24), null, null);
    }

    /**
     * @param lease  how long what a kept build holds is held for a resume (cloud resources are tagged until then)
     * @param record the resume record's path, noted with held cloud resources; or null
     * @param folder the template's folder, against which steps name their files: the hashes of a build that
     *               {@code hashes} lacks are taken from there only if it fails (a build that succeeds reads no file
     *               twice), and count only if its files still look as they did when their step started
     */
    public ResumeSource(StepSource steps, Map<String, List<String>> hashes, Map<String, Resume> resumes,
                        java.time.Duration lease, java.nio.file.Path record, java.nio.file.Path folder) {
        this.steps = steps;
        this.folder = folder;
        this.hashes = Map.copyOf(hashes);
        this.resumes = Map.copyOf(resumes);
        this.lease = lease;
        this.record = record;
    }

    /** Whether a build can leave a resume record: {@code builder ssh} and {@code builder azure}. */
    public static boolean resumable(Build build) {
        return build.builder() instanceof SshBuilderSpec || build.builder() instanceof AzureBuilderSpec;
    }

    /**
     * Where a build resumes, comparing the template's step hashes with those that succeeded: the first step that
     * changed or did not succeed; or, with {@code from} (a step number from 1, or a step's name), that step.
     *
     * @return how many steps to leave out; throws {@link Refused} when an earlier step changed and no
     * {@code from} says where to start
     */
    public static int where(ResumeRecord.Entry kept, Build build, List<String> now, String from) throws Refused {
        List<ResumeRecord.StepHash> ran = kept.succeeded();
        List<String> changed = new ArrayList<>();
        int first = -1;
        for (int i = 0; i < ran.size(); i++) {
            if (i >= now.size() || !ran.get(i).hash().equals(now.get(i))) {
                String label = i < now.size() ? Builders.label(build.steps().get(i)) : null;
                changed.add(ran.get(i).number() + ". " + (label == null ? ran.get(i).name()
                        + " (no longer in the template)" : label.equals(ran.get(i).name()) ? label
                        : label + " (was " + ran.get(i).name() + ")"));
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (from != null) {
            int start = stepNumber(build, from);
            if (start > ran.size() + 1) {
                throw new Refused("--from " + from + ": step " + start + " comes after the step that failed ("
                        + (ran.size() + 1) + "); it can start at step " + (ran.size() + 1) + " at the latest");
            }
            return start - 1;
        }
        if (first >= 0) {
            throw new Refused("steps that ran before the failure changed since:\n  " + String.join("\n  ", changed)
                    + "\nthe machine holds what the old steps did: say where to start again with --from STEP "
                    + "(a step number, or a name such as '" + Builders.label(build.steps().get(Math.min(first,
                    build.steps().size() - 1))) + "'), or build afresh without --resume");
        }
        return ran.size();
    }

    private static int stepNumber(Build build, String from) throws Refused {
        List<Step> all = build.steps();
        try {
            int n = Integer.parseInt(from.trim());
            if (n >= 1 && n <= all.size()) {
                return n;
            }
        } catch (NumberFormatException e) {
            for (int i = 0; i < all.size(); i++) {
                if (Builders.label(all.get(i)).equalsIgnoreCase(from.trim())) {
                    return i + 1;
                }
            }
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            names.add((i + 1) + ". " + Builders.label(all.get(i)));
        }
        throw new Refused("--from " + from + ": no such step in build " + build.name() + "; its steps are:\n  "
                + String.join("\n  ", names));
    }

    /** Why a build cannot resume as asked. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    /** The builds kept by this run ({@code --on-error=abort}), with what a later resume needs. */
    public Map<String, ResumeRecord.Entry> kept() {
        return Map.copyOf(kept);
    }

    /** Whether a build got past its builder's preparation (for a resume: it took the kept machine over). */
    public boolean prepared(String build) {
        AtomicInteger at = reached.get(build);
        return at != null && at.get() > 0;
    }

        /** The builds whose kept machine could not be reached again (or was no longer the same machine). */
    public Set<String> gone() {
        return Set.copyOf(gone);
    }

    @Override
    public List<PlannedStep> steps(Build build) {
        Resume resume = resumes.get(build.name());
        List<PlannedStep> all;
        if (resume == null) {
            all = steps.steps(build);
        } else if (build.builder() instanceof SshBuilderSpec) {
            all = steps.steps(pinned(build, resume.kept()));
        } else {
            all = steps.resumed(build, resume.kept()); // the builder adopts what the record names
        }
        AtomicInteger at = new AtomicInteger();
        reached.put(build.name(), at);
        String[] started = new String[build.steps().size()];
        stamps.put(build.name(), started);
        List<PlannedStep> planned = new ArrayList<>();
        int number = 0;
        for (PlannedStep step : all) {
            if (step.provisioning()) {
                number++;
                if (resume != null && number <= resume.skip()) {
                    continue;
                }
            }
            int mark = step.provisioning() ? number : number == 0 ? 0 : FINISHING;
            Runnable starting = null;
            if (step.provisioning() && !hashes.containsKey(build.name()) && folder != null) {
                int index = number - 1;
                starting = () -> started[index] = StepHashes.stamp(build.steps().get(index), folder);
            }
            planned.add(new PlannedStep(new Tracked(step.step(), at, mark,
                    resume != null && mark == 0 ? build.name() : null, resume, starting), step.options(),
                    step.provisioning()));
        }
        return planned;
    }

    /** The build as it resumes: the ssh builder accepts only the host key it had. */
    private static Build pinned(Build build, ResumeRecord.Entry kept) {
        SshBuilderSpec s = (SshBuilderSpec) build.builder();
        SshBuilderSpec pinned = new SshBuilderSpec(s.host(), s.port(), s.user(), s.privateKey(), s.privateKeyFile(),
                s.password(), s.agent(), kept.hostKey(), null, false, s.bastion(), s.connectTimeout(),
                s.readWriteTimeout());
        return new Build(build.name(), pinned, build.steps(), build.onError(), build.post(), build.declaredAt());
    }

    @Override
    public void kept(BuildContext context) {
        Build build = context.build();
        AtomicInteger reachedAt = reached.get(build.name());
        int at = reachedAt == null ? 0 : reachedAt.get();
        if (!resumable(build)) {
            context.warn("no resume record: build --resume supports builder ssh and builder azure so far");
            return;
        }
        if (at == 0 || !context.hasMachine()) {
            return; // the machine was never reached: nothing to resume on
        }
        int total = build.steps().size();
        int ran = at == FINISHING ? total : at - 1;
        List<String> now = hashes.get(build.name());
        List<ResumeRecord.StepHash> succeeded = new ArrayList<>();
        for (int i = 0; i < ran; i++) {
            succeeded.add(new ResumeRecord.StepHash(i + 1, Builders.label(build.steps().get(i)),
                    now != null ? now.get(i) : hashAsRun(build, i)));
        }
        SshEndpoint endpoint = context.machine().endpoint();
        String hostKey;
        try {
            hostKey = SshCommunicator.fingerprint(context.machine().communicator().hostKey());
        } catch (Exception e) {
            context.warn("no resume record: the machine's host key could not be read again ("
                    + dev.imagebake.util.IoErrors.describe(e) + ")");
            return;
        }
        ResumeRecord.Held held = new ResumeRecord.Held(List.of(), Map.of());
        KeptResources resources = context.keptResources();
        if (resources != null) {
            java.time.Instant until = java.time.Instant.now().plus(lease).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            try {
                held = resources.hold(context, until, record,
                        context.keptLogin() == null ? null : context.keptLogin().key());
            } catch (Exception e) {
                context.warn("no resume record: what the build kept could not be held for a resume ("
                        + (e.getMessage() == null ? e.toString() : e.getMessage()) + ")");
                return;
            }
        }
        kept.put(build.name(), new ResumeRecord.Entry(build.type(), endpoint.host(), endpoint.port(),
                endpoint.user(), hostKey, held.resources(), succeeded,
                ran < total ? Builders.label(build.steps().get(ran)) : null, held.details()));
    }

    /**
     * The hash of step {@code index} as it ran, taken now: if its files changed since the step started, a value
     * no hash equals, so that a resume runs it again.
     */
    private String hashAsRun(Build build, int index) {
        Step step = build.steps().get(index);
        String[] started = stamps.get(build.name());
        String then = started == null ? null : started[index];
        if (then != null && !then.equals(StepHashes.stamp(step, folder))) {
            return "changed while the build ran";
        }
        return StepHashes.of(step, folder);
    }

    @Override
    public List<PlannedStep> onError(Build build) {
        return steps.onError(build);
    }

    @Override
    public List<BuildStep> post(Build build) {
        return steps.post(build);
    }

    @Override
    public List<BuildStep> recorders(Build build) {
        return steps.recorders(build);
    }

    /** A step that notes, as it starts, how far its build got; the builder's first steps also find the kept machine. */
    private final class Tracked implements BuildStep {
        private final BuildStep step;
        private final AtomicInteger at;
        private final int mark;
        private final String reconnecting;
        private final Resume resume;
        private final Runnable starting;

        Tracked(BuildStep step, AtomicInteger at, int mark, String reconnecting, Resume resume, Runnable starting) {
            this.step = step;
            this.starting = starting;
            this.at = at;
            this.mark = mark;
            this.reconnecting = reconnecting;
            this.resume = resume;
        }

        @Override
        public String name() {
            return step.name();
        }

        @Override
        public void run(BuildContext context) throws Exception {
            at.set(mark);
            if (starting != null) {
                starting.run();
            }
            if (reconnecting == null) {
                step.run(context);
                return;
            }
            try {
                step.run(context);
            } catch (Exception e) {
                if (context.cancelled()) {
                    throw e;
                }
                // Only the ssh builder's whole preparation is reconnecting; other builders say when it is.
                if (!(context.build().builder() instanceof SshBuilderSpec) && !(e instanceof KeptMachineGoneException)) {
                    throw e;
                }
                gone.add(reconnecting);
                ResumeRecord.Entry kept = resume.kept();
                throw new StepFailedException("the kept machine " + kept.user() + "@" + kept.host() + ":"
                        + kept.port() + " (host key " + kept.hostKey() + ") is gone or no longer the same: "
                        + (e.getMessage() == null ? e.toString() : e.getMessage())
                        + "; build afresh without --resume", e);
            }
            if (resume.skip() > 0 && context.hasMachine()) {
                context.info("resuming on the kept machine: " + (resume.skip() == 1 ? "step 1"
                        : "steps 1-" + resume.skip()) + " ran before; from step " + (resume.skip() + 1) + " on");
            }
        }

        @Override
        public void cleanup(BuildContext context) throws Exception {
            step.cleanup(context);
        }

        @Override
        public List<String> leftovers(BuildContext context) {
            return step.leftovers(context);
        }
    }
}
