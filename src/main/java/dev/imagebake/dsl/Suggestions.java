package dev.imagebake.dsl;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** "Did you mean ...?" for misspelt keywords and names. */
public final class Suggestions {
    private Suggestions() {
    }

    /** The known names closest to {@code wrong}, best first; at most three, and only plausible ones. */
    public static List<String> closest(String wrong, Collection<String> known) {
        int limit = Math.max(2, wrong.length() / 3);
        return known.stream()
                .filter(k -> distance(wrong.toLowerCase(), k.toLowerCase()) <= limit
                        || k.toLowerCase().startsWith(wrong.toLowerCase()) && wrong.length() >= 3)
                .sorted(Comparator.comparingInt((String k) -> distance(wrong.toLowerCase(), k.toLowerCase()))
                        .thenComparing(k -> k))
                .distinct()
                .limit(3)
                .toList();
    }

    /** " Did you mean `a` or `b`?" or the empty string. */
    public static String didYouMean(String wrong, Collection<String> known) {
        List<String> best = closest(wrong, known);
        if (best.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(" Did you mean ");
        for (int i = 0; i < best.size(); i++) {
            if (i > 0) {
                text.append(i == best.size() - 1 ? " or " : ", ");
            }
            text.append('`').append(best.get(i)).append('`');
        }
        return text.append('?').toString();
    }

    static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
