package dev.imagebake.engine;

import java.nio.file.Path;
import java.time.Instant;

/**
 * What a builder keeps beyond the build machine when {@code --on-error=abort} keeps a build (cloud resources), for
 * {@code build --resume}: a builder that supports resuming sets one on the build's context.
 */
public interface KeptResources {
    /**
     * Marks what the build kept as held for a resume until {@code until} (so that {@code gc} leaves it alone), and
     * says what the resume record must note.
     *
     * @param record  the resume record that will hold the entry
     * @param keyFile the private key file a person (and the resuming build) logs in with, or null
     */
    ResumeRecord.Held hold(BuildContext context, Instant until, Path record, Path keyFile) throws Exception;
}
