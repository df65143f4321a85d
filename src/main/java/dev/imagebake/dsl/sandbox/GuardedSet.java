package dev.imagebake.dsl.sandbox;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.function.Consumer;

/** The set a template builds; checks the {@link Guard} whenever host code walks it, like {@link GuardedList}. */
public final class GuardedSet extends LinkedHashSet<Object> {
    public GuardedSet() {
    }

    @Override
    public Iterator<Object> iterator() {
        Guard.checkpointIfActive();
        return super.iterator();
    }

    @Override
    public void forEach(Consumer<? super Object> action) {
        Guard.checkpointIfActive();
        super.forEach(action);
    }

    @Override
    public boolean equals(Object other) {
        Guard.checkpointIfActive();
        return super.equals(other);
    }

    @Override
    public int hashCode() {
        Guard.checkpointIfActive();
        return Walks.sumOfHashes(this);
    }

    @Override
    public String toString() {
        SandboxRuntime.checkRenderable(this);
        return super.toString();
    }
}
