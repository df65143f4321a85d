package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildStep;

/** A provisioning step: its settings from the plan and the name people see (for example {@code shell (line 14)}). */
abstract class Provisioner<S> implements BuildStep {
    protected final S spec;
    private final String name;

    Provisioner(S spec, String name) {
        this.spec = spec;
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }
}
