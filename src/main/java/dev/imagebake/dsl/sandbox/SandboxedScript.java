package dev.imagebake.dsl.sandbox;

/** The base type of every compiled template: it tells the runtime where its implicit names resolve. */
public interface SandboxedScript {
    ImplicitScope implicitScope();
}
