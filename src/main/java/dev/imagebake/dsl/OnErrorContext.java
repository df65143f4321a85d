package dev.imagebake.dsl;

/** {@code onError { provision shell { ... } }}: steps that run when provisioning fails. */
public final class OnErrorContext extends StepTypes {
    OnErrorContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String blockName() {
        return "onError";
    }

    /** Adds a step to run when provisioning fails. */
    public Object provision(Object declaration) {
        if (declaration instanceof Evaluation.StepDeclaration s && !isPost(s)) {
            evaluation.use(s);
            evaluation.addOnError(s.step());
            return null;
        }
        if (declaration instanceof Evaluation.StepDeclaration s) {
            throw new TemplateError("`" + s.step().kind() + "` is a post-processor and does not run on error: "
                    + "write `post " + s.step().kind() + " { ... }` at the top level");
        }
        throw new TemplateError("`provision` in onError is followed by a provisioner: provision shell { ... }; got "
                + describe(declaration));
    }
}
