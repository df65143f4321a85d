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
        throw new TemplateError("`provision` in onError is followed by a provisioner: provision shell { ... }");
    }
}
