package dev.imagebake.dsl.sandbox;

/**
 * A template tried something the sandbox does not allow, or went over one of its limits. It carries the template
 * position of the offending expression when known (line and column 0 otherwise).
 */
public class SandboxException extends RuntimeException {
    private final int line;
    private final int column;

    public SandboxException(String message, int line, int column) {
        super(message, null, false, false);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
