package dev.imagebake.dsl.sandbox;

import java.util.AbstractList;
import java.util.Iterator;
import java.util.List;
import java.util.RandomAccess;

/**
 * A read-only view of a list ({@code subList}, {@code asReversed}), guarded like a {@link GuardedList}: views of
 * views nested in each other would otherwise be walked (hashed, compared) by JDK code with no checkpoint at all.
 * Template code cannot change a list through it: writes go to the list itself.
 */
final class GuardedView extends AbstractList<Object> implements RandomAccess {
    private final List<?> items;

    GuardedView(List<?> items) {
        this.items = items;
    }

    @Override
    public Object get(int index) {
        return items.get(index);
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public Iterator<Object> iterator() {
        Guard.checkpointIfActive();
        return super.iterator();
    }

    @Override
    public boolean equals(Object other) {
        Guard.checkpointIfActive();
        return Walks.listEquals(this, other);
    }

    @Override
    public int hashCode() {
        Guard.checkpointIfActive();
        return Walks.listHash(this);
    }

    @Override
    public String toString() {
        SandboxRuntime.checkRenderable(this);
        return super.toString();
    }
}
