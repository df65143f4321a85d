package dev.imagebake.dsl.sandbox;

/**
 * Resolves the names a template uses without a receiver: keywords, helper functions, variables. The template
 * language implements it; the sandbox only routes such calls here.
 */
public interface ImplicitScope {
    Object call(String name, Object[] args);

    Object get(String name);

    void set(String name, Object value);
}
