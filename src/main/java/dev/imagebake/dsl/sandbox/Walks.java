package dev.imagebake.dsl.sandbox;

import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;

/**
 * Equality and hashing of the collections templates build, computed as the JDK does but with a checkpoint every
 * few items: one item's {@code hashCode} or {@code equals} can itself be long (a big number is hashed digit by
 * digit, every time), so a checkpoint on entering the collection alone would let a million of them run unchecked.
 */
final class Walks {
    private static final int ITEMS_PER_CHECKPOINT = 64;

    private Walks() {
    }

    static int listHash(List<?> list) {
        int hash = 1;
        int n = 0;
        for (Object item : list) {
            if (++n % ITEMS_PER_CHECKPOINT == 0) {
                Guard.checkpointIfActive();
            }
            hash = 31 * hash + (item == null ? 0 : item.hashCode());
        }
        return hash;
    }

    static int sumOfHashes(Collection<?> items) {
        int hash = 0;
        int n = 0;
        for (Object item : items) {
            if (++n % ITEMS_PER_CHECKPOINT == 0) {
                Guard.checkpointIfActive();
            }
            hash += item == null ? 0 : item.hashCode();
        }
        return hash;
    }

    static boolean listEquals(List<?> list, Object other) {
        if (other == list) {
            return true;
        }
        if (!(other instanceof List<?> that)) {
            return false;
        }
        ListIterator<?> mine = list.listIterator();
        Iterator<?> theirs = that.listIterator();
        int n = 0;
        while (mine.hasNext() && theirs.hasNext()) {
            if (++n % ITEMS_PER_CHECKPOINT == 0) {
                Guard.checkpointIfActive();
            }
            Object a = mine.next();
            Object b = theirs.next();
            if (!(a == null ? b == null : a.equals(b))) {
                return false;
            }
        }
        return !(mine.hasNext() || theirs.hasNext());
    }
}
