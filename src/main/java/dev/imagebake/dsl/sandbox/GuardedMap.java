package dev.imagebake.dsl.sandbox;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/** The map a template builds; checks the {@link Guard} whenever host code walks it, like {@link GuardedList}. */
public final class GuardedMap extends LinkedHashMap<Object, Object> {
    public GuardedMap() {
    }

    GuardedMap(Map<?, ?> entries) {
        super(entries);
    }

    @Override
    public Set<Map.Entry<Object, Object>> entrySet() {
        Guard.checkpointIfActive();
        return super.entrySet();
    }

    @Override
    public Set<Object> keySet() {
        Guard.checkpointIfActive();
        return super.keySet();
    }

    @Override
    public Collection<Object> values() {
        Guard.checkpointIfActive();
        return super.values();
    }

    @Override
    public void forEach(BiConsumer<? super Object, ? super Object> action) {
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
        return Walks.sumOfHashes(entrySet());
    }

    @Override
    public String toString() {
        SandboxRuntime.checkRenderable(this);
        return super.toString();
    }
}
