package dev.imagebake.plan;

import org.ahocorasick.trie.Trie;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Replaces every sensitive value in a text with {@code <sensitive>}; a text that is, as a whole, one of the whole
 * values (too short to mask inside text) becomes {@code <sensitive>}.
 *
 * <p>One pass over the text finds every occurrence of every value (Aho-Corasick, see ADR 0006), so the cost grows
 * with the text and the matches, not with the number of values. Where occurrences overlap the longer one is masked
 * (the leftmost of equal ones), as when longer values were replaced first. A text with more occurrences than half
 * its characters, plus 1,024 (values that repeat one another, against a text made of them), is masked as a whole:
 * enumerating every overlapping occurrence would take far more time and memory than printing it.
 */
public final class Redactor {
    public static final String MASK = "<sensitive>";
    private static final int MATCHES_FREE = 1024;
    private final Trie trie;
    private final Set<String> wholeValues;

    public Redactor(Collection<String> sensitiveValues) {
        this(sensitiveValues, Set.of());
    }

    public Redactor(Collection<String> sensitiveValues, Collection<String> wholeValues) {
        Trie.TrieBuilder builder = Trie.builder().stopOnHit();
        boolean any = false;
        for (String value : sensitiveValues) {
            if (value != null && !value.isEmpty()) {
                builder.addKeyword(value);
                any = true;
            }
        }
        this.trie = any ? builder.build() : null;
        this.wholeValues = Set.copyOf(wholeValues);
    }

    public String redact(String text) {
        if (text != null && wholeValues.contains(text)) {
            return MASK;
        }
        if (text == null || trie == null || text.isEmpty()) {
            return text;
        }
        long budget = MATCHES_FREE + text.length() / 2;
        Matches found = new Matches(budget);
        // The handler asks the trie to stop (stopOnHit) only once the budget is spent.
        trie.parseText(text, emit -> found.add(emit.getStart(), emit.getEnd()));
        if (found.overflowed) {
            return MASK;
        }
        if (found.count == 0) {
            return text;
        }
        Map<Integer, Integer> chosen = found.longestFirst();
        StringBuilder out = new StringBuilder(text.length());
        int at = 0;
        for (Map.Entry<Integer, Integer> match : chosen.entrySet()) {
            out.append(text, at, match.getKey()).append(MASK);
            at = match.getValue() + 1;
        }
        return out.append(text, at, text.length()).toString();
    }

    /** The occurrences found, each a start and an inclusive end, packed as (room for a longer one, start). */
    private static final class Matches {
        private final long budget;
        private long[] keys = new long[16];
        private int count;
        private boolean overflowed;

        Matches(long budget) {
            this.budget = budget;
        }

        boolean add(int start, int end) {
            if (count >= budget) {
                overflowed = true;
                return true;
            }
            if (count == keys.length) {
                keys = Arrays.copyOf(keys, keys.length * 2);
            }
            int length = end - start + 1;
            keys[count++] = ((long) (Integer.MAX_VALUE - length) << 32) | start;
            return false;
        }

        /** Longer matches first (then leftmost), each kept unless it overlaps one kept before: start to end. */
        TreeMap<Integer, Integer> longestFirst() {
            long[] sorted = Arrays.copyOf(keys, count);
            Arrays.sort(sorted);
            TreeMap<Integer, Integer> kept = new TreeMap<>();
            for (long key : sorted) {
                int start = (int) key;
                int end = start + (Integer.MAX_VALUE - (int) (key >>> 32)) - 1;
                Map.Entry<Integer, Integer> before = kept.floorEntry(start);
                if (before != null && before.getValue() >= start) {
                    continue;
                }
                Integer after = kept.ceilingKey(start);
                if (after != null && after <= end) {
                    continue;
                }
                kept.put(start, end);
            }
            return kept;
        }
    }
}
