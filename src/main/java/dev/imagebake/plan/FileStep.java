package dev.imagebake.plan;

/**
 * Moves a file or a directory tree between the imagebake host and the build machine.
 *
 * @param direction   {@code upload} or {@code download}
 * @param source      a path on the source side (for an upload, relative to the template's folder)
 * @param content     inline content to upload instead of a source file
 * @param destination a path on the receiving side
 * @param verify      compare every file's SHA-256 on both sides (sizes are always compared)
 */
public record FileStep(String direction, String source, String content, String destination, boolean verify)
        implements StepSpec {
    @Override
    public String kind() {
        return "file";
    }
}
