package dev.imagebake.dsl;

import dev.imagebake.dsl.sandbox.ImplicitScope;
import dev.imagebake.dsl.sandbox.SandboxedScript;
import groovy.lang.Script;

/** The base class of every compiled template. Template code reaches nothing of it but its {@link ImplicitScope}. */
public abstract class TemplateScript extends Script implements SandboxedScript {
    private ImplicitScope scope;

    protected TemplateScript() {
    }

    protected TemplateScript(groovy.lang.Binding binding) {
        super(binding);
    }

    void attach(ImplicitScope scope) {
        this.scope = scope;
    }

    @Override
    public final ImplicitScope implicitScope() {
        return scope;
    }
}
