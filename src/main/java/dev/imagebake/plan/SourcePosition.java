package dev.imagebake.plan;

/** Where a block or setting was written in a template: a file name (as the user gave it), 1-based line and column. */
public record SourcePosition(String file, int line, int column) {
    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
