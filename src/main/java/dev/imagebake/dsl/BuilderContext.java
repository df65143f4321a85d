package dev.imagebake.dsl;

/** A builder block; its result names the build. */
abstract class BuilderContext extends BlockContext {
    protected final String name;

    BuilderContext(Evaluation evaluation, String name) {
        super(evaluation);
        this.name = name;
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new TemplateError("a builder name is letters, digits, '.', '_' and '-'; got '" + name + "'");
        }
    }

    abstract Evaluation.BuilderDeclaration build();

    /**
     * A read/write timeout for the SSH connection (Packer's {@code ssh_read_write_timeout}): null for {@code 0s}
     * (none). The machine is asked to answer every third of it, in whole seconds, so it must be long enough for that.
     */
    protected final java.time.Duration readWriteTimeout(String keyword, Object value) {
        java.time.Duration d = duration(keyword, value);
        if (d.isZero()) {
            return null;
        }
        if (d.compareTo(java.time.Duration.ofSeconds(5)) < 0) {
            throw new TemplateError("`" + keyword + "` is '0s' (no timeout) or at least '5s': imagebake asks the "
                    + "machine to answer every third of it, and a shorter one would cut connections that are only "
                    + "slow");
        }
        return d;
    }
}
