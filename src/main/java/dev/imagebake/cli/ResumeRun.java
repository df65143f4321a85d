package dev.imagebake.cli;

import dev.imagebake.builder.ResumeSource;
import dev.imagebake.builder.StepHashes;
import dev.imagebake.engine.BuildResult;
import dev.imagebake.engine.ResumeRecord;
import dev.imagebake.engine.Secrets;
import dev.imagebake.engine.StepSource;
import dev.imagebake.plan.Build;
import dev.imagebake.util.IoErrors;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The resume record's part in {@code build}: before the run, which builds resume and where; after it, the record
 * brought up to date (a kept build noted, a finished one dropped, the file removed once empty).
 */
final class ResumeRun {
    private final Path template;
    private final Path file;
    private final PrintStream err;
    private final Duration lease;
    private final Map<String, List<String>> hashes = new LinkedHashMap<>();
    private final Map<String, ResumeSource.Resume> resumes = new LinkedHashMap<>();
    private ResumeRecord existing;
    private List<Build> builds;
    private ResumeSource source;

    ResumeRun(Path template, PrintStream err, Duration lease) {
        this.template = template;
        this.file = ResumeRecord.beside(template);
        this.err = err;
        this.lease = lease;
    }

    /** Decides what runs; returns {@link ExitCodes#OK}, or the exit code after printing why nothing can. */
    int prepare(List<Build> selected, boolean resume, String from) {
        Path folder = template.toAbsolutePath().getParent();
        try {
            existing = ResumeRecord.read(file);
        } catch (IOException e) {
            if (resume) {
                err.println("Error: " + IoErrors.describe(e));
                return ExitCodes.NOTHING_TO_RESUME;
            }
            existing = null; // a fresh build writes a new one if it must
        }
        builds = new ArrayList<>();
        for (Build build : selected) {
            if (resume && (existing == null || !existing.builds().containsKey(build.name()))) {
                continue;
            }
            builds.add(build);
            if (resume && ResumeSource.resumable(build)) {
                // A fresh build hashes its steps only if it fails and leaves a record (ResumeSource.kept).
                hashes.put(build.name(), StepHashes.of(build, folder));
            }
        }
        if (!resume) {
            return ExitCodes.OK;
        }
        if (existing == null) {
            err.println("Error: nothing to resume: there is no resume record " + file
                    + " (a build that fails with --on-error=abort writes one, for builder ssh and builder azure)");
            return ExitCodes.NOTHING_TO_RESUME;
        }
        if (existing.expired(Instant.now())) {
            err.println("Error: the resume record " + file + " expired at " + existing.expires()
                    + ": its lease is over and gc may have removed what it kept; build afresh without --resume");
            return ExitCodes.NOTHING_TO_RESUME;
        }
        if (builds.isEmpty()) {
            err.println("Error: nothing to resume: the resume record " + file + " holds none of the builds asked for"
                    + " (it holds " + String.join(", ", existing.builds().keySet()) + ")");
            return ExitCodes.NOTHING_TO_RESUME;
        }
        for (Build build : builds) {
            ResumeRecord.Entry kept = existing.builds().get(build.name());
            String heldUntil = kept.details().get("heldUntil");
            if (heldUntil != null && !Instant.now().isBefore(Instant.parse(heldUntil))) {
                err.println("Error: build " + build.name() + " cannot resume: what it kept was held for a resume until "
                        + heldUntil + ", and gc may have removed it since; build afresh without --resume");
                return ExitCodes.NOTHING_TO_RESUME;
            }
            if (!ResumeSource.resumable(build) || !kept.builder().equals(build.type())) {
                err.println("Error: build " + build.name() + " cannot resume: it was kept by builder "
                        + kept.builder() + " and is now builder " + build.type());
                return ExitCodes.NOTHING_TO_RESUME;
            }
            try {
                resumes.put(build.name(), new ResumeSource.Resume(kept,
                        ResumeSource.where(kept, build, hashes.get(build.name()), from)));
            } catch (ResumeSource.Refused e) {
                err.println("Error: build " + build.name() + " cannot resume: " + e.getMessage());
                return ExitCodes.RESUME_REFUSED;
            }
        }
        return ExitCodes.OK;
    }

    /** The builds to run: with --resume, those the record holds. */
    List<Build> builds() {
        return builds;
    }

    StepSource source(StepSource steps, Path folder) {
        source = new ResumeSource(steps, hashes, resumes, lease, file, template.toAbsolutePath().getParent());
        return source;
    }

    /** Brings the record up to date after the run; returns the exit code a gone machine calls for, else OK. */
    int finish(List<BuildResult> results, Secrets secrets) {
        Map<String, ResumeRecord.Entry> entries = new LinkedHashMap<>(existing == null ? Map.of() : existing.builds());
        Map<String, ResumeRecord.Entry> kept = source.kept();
        for (BuildResult result : results) {
            ResumeRecord.Entry entry = entries.get(result.build());
            if (result.status() == BuildResult.Status.SUCCEEDED) {
                entries.remove(result.build());
            } else if (entry != null && !entry.resources().isEmpty() && resumes.containsKey(result.build())
                    && !kept.containsKey(result.build()) && source.prepared(result.build())
                    && result.leftovers().isEmpty()) {
                // A resume that failed and cleaned up deleted the cloud resources the record names.
                entries.remove(result.build());
                err.println("note: build " + result.build() + " failed again and deleted what the earlier run kept:"
                        + " nothing is left to resume for it");
            }
        }
        entries.putAll(kept);
        try {
            if (entries.isEmpty()) {
                if (Files.deleteIfExists(file)) {
                    err.println("note: removed the resume record " + file + ": nothing is left to resume");
                }
            } else if (!kept.isEmpty() || entries.size() != (existing == null ? 0 : existing.builds().size())) {
                Instant now = Instant.now();
                // Never longer than the cloud resources a build kept are held (tagged) for gc.
                Instant expires = now.plus(lease);
                for (ResumeRecord.Entry entry : entries.values()) {
                    String held = entry.details().get("heldUntil");
                    if (held != null && Instant.parse(held).isBefore(expires)) {
                        expires = Instant.parse(held);
                    }
                }
                ResumeRecord record = new ResumeRecord(template.getFileName().toString(), now, expires, entries);
                String json = record.toJson();
                if (!secrets.redact(json).equals(json)) {
                    // Never expected (a record holds names, addresses and hashes): refuse rather than leak.
                    err.println("warning: no resume record written: it would hold a sensitive value");
                } else {
                    record.write(file);
                    if (!kept.isEmpty()) {
                        err.println("note: wrote the resume record " + file + " (held until " + record.expires()
                                + "); fix the template, then run: imagebake build --resume " + template);
                    }
                }
            }
        } catch (IOException e) {
            err.println("warning: could not update the resume record " + file + ": " + IoErrors.describe(e));
        }
        if (!source.gone().isEmpty()) {
            err.println("Error: nothing to resume for " + String.join(", ", source.gone())
                    + ": the kept machine is gone; build afresh without --resume");
            return ExitCodes.NOTHING_TO_RESUME;
        }
        return ExitCodes.OK;
    }
}
