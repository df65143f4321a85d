package dev.imagebake.dsl;

import dev.imagebake.plan.FileStep;
import dev.imagebake.plan.SourcePosition;
import dev.imagebake.plan.StepSpec;

/** {@code provision file { ... }}: moves files and folders to or from the build machine. */
public final class FileContext extends StepContext {
    private String direction = "upload";
    private String source;
    private SourcePosition sourceAt;
    private String content;
    private String destination;
    private boolean verify = true;

    FileContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "file";
    }

    /** What to copy: for an upload, a file or folder relative to the template's folder; for a download, a remote path. */
    public void source(Object path) {
        source = string("source", path);
        sourceAt = evaluation.position();
    }

    /** Text to upload as a file, instead of a source file. */
    public void content(Object text) {
        content = string("content", text);
    }

    /** Where to copy to: a remote path for an upload, a local path for a download. */
    public void destination(Object path) {
        destination = string("destination", path);
    }

    /**
     * Whether to compare every file's SHA-256 on both sides after the transfer (default true, where the machine has
     * {@code sha256sum}). Sizes are always compared.
     */
    public void verify(Object value) {
        verify = bool("verify", value);
    }

    /** {@code 'upload'} (the default) or {@code 'download'}. */
    public void direction(Object value) {
        String d = string("direction", value);
        if (!d.equals("upload") && !d.equals("download")) {
            throw new TemplateError("`direction` is 'upload' or 'download'; got '" + d + "'");
        }
        direction = d;
    }

    @Override
    protected StepSpec spec() {
        if (destination == null && !refused("destination")) {
            errorAtBlock("file needs a `destination`: where to copy to, for example destination '/tmp/'");
        }
        if (direction.equals("upload")) {
            if (source != null && content != null) {
                errorAtBlock("file upload takes either a `source` or `content`, not both");
            } else if (source == null && content == null && !refused("source", "content")) {
                errorAtBlock("file upload needs a `source` file (or folder) next to the template, or `content`");
            } else if (source != null) {
                checkUploadSource();
            }
        } else if (source == null || content != null) {
            errorAtBlock("file download needs a remote `source` and no `content`");
        }
        return new FileStep(direction, source, content, destination, verify);
    }

    /** Checked after the block ran, because only then is it known that {@code source} is a local path. */
    private void checkUploadSource() {
        try {
            if (!evaluation.files().exists(source)) {
                evaluation.report(sourceAt, "`source`: no file or folder '" + source + "' next to the template");
            } else {
                try {
                    evaluation.files().checkTree(source);
                } catch (TemplateError e) {
                    evaluation.report(sourceAt, "`source`: " + e.getMessage());
                }
            }
        } catch (TemplateError e) {
            evaluation.report(sourceAt, e.getMessage());
        }
    }
}
