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
}
