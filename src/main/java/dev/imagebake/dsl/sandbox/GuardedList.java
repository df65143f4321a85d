package dev.imagebake.dsl.sandbox;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.ListIterator;
import java.util.function.Consumer;

/**
 * The list a template builds. A template can nest one list in another many times over ({@code l = [l, l]}), so
 * that walking it (equality, hashing, printing, flattening) takes exponential time in host code. Every such walk
 * enters each nested list through one of these methods, which check the evaluation's {@link Guard}: the walk stops
 * at the time limit instead of running on unchecked.
 */
public final class GuardedList extends ArrayList<Object> {
    public GuardedList() {
    }

    GuardedList(Collection<?> items) {
        super(items);
    }

    @Override
    public Iterator<Object> iterator() {
        Guard.checkpointIfActive();
        return super.iterator();
    }

    @Override
    public ListIterator<Object> listIterator() {
        Guard.checkpointIfActive();
        return super.listIterator();
    }

    @Override
    public ListIterator<Object> listIterator(int index) {
        Guard.checkpointIfActive();
        return super.listIterator(index);
    }

    @Override
    public void forEach(Consumer<? super Object> action) {
        Guard.checkpointIfActive();
        super.forEach(action);
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
