package dev.imagebake.emulator.arm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code $filter} of ARM's generic resource listings, as far as Azure documents it: {@code resourceType},
 * {@code name}, {@code location} and {@code resourceGroup eq 'value'}, {@code substringof('value', name)} (or
 * {@code resourceGroup}), {@code tagName eq 'k'} with an optional {@code and tagValue eq 'v'}, and
 * {@code startswith(tagName, 'prefix')}, joined by {@code and} / {@code or} ({@code and} binds tighter). Names
 * and types compare without regard to case; tag values exactly.
 */
final class ResourceFilter {
    private static final Pattern EQ = Pattern.compile("(?i)(\\w+)\\s+eq\\s+'((?:[^']|'')*)'");
    private static final Pattern FUNCTION = Pattern.compile(
            "(?i)(substringof|startswith)\\(\\s*(?:'((?:[^']|'')*)'\\s*,\\s*(\\w+)|(\\w+)\\s*,\\s*'((?:[^']|'')*)')\\s*\\)");

    private final List<List<Predicate<Map<String, Object>>>> alternatives;
    private final boolean tagValueFilter;

    private ResourceFilter(List<List<Predicate<Map<String, Object>>>> alternatives, boolean tagValueFilter) {
        this.alternatives = alternatives;
        this.tagValueFilter = tagValueFilter;
    }

    /** The filter, or one that lets everything through for a null or blank text. */
    static ResourceFilter parse(String text) throws ArmException {
        List<List<Predicate<Map<String, Object>>>> alternatives = new ArrayList<>();
        boolean tagValue = false;
        if (text == null || text.isBlank()) {
            return new ResourceFilter(alternatives, false);
        }
        for (String alternative : split(text, "or")) {
            List<Predicate<Map<String, Object>>> all = new ArrayList<>();
            String tagName = null;
            String pendingTagValue = null;
            for (String clause : split(alternative, "and")) {
                Matcher eq = EQ.matcher(clause);
                Matcher function = FUNCTION.matcher(clause);
                if (eq.matches()) {
                    String field = eq.group(1).toLowerCase(Locale.ROOT);
                    String value = eq.group(2).replace("''", "'");
                    switch (field) {
                        case "resourcetype" -> all.add(d -> value.equalsIgnoreCase(string(d.get("type"))));
                        case "name" -> all.add(d -> value.equalsIgnoreCase(string(d.get("name"))));
                        case "location" -> all.add(d -> value.replace(" ", "")
                                .equalsIgnoreCase(string(d.get("location"))));
                        case "resourcegroup" -> all.add(d -> value.equalsIgnoreCase(group(d)));
                        case "tagname" -> tagName = value;
                        case "tagvalue" -> pendingTagValue = value;
                        default -> throw invalid(text);
                    }
                } else if (function.matches()) {
                    String name = function.group(1).toLowerCase(Locale.ROOT);
                    if (name.equals("substringof") && function.group(2) != null) {
                        String value = function.group(2).replace("''", "'").toLowerCase(Locale.ROOT);
                        String property = function.group(3).toLowerCase(Locale.ROOT);
                        if (property.equals("name")) {
                            all.add(d -> string(d.get("name")).toLowerCase(Locale.ROOT).contains(value));
                        } else if (property.equals("resourcegroup")) {
                            all.add(d -> group(d).toLowerCase(Locale.ROOT).contains(value));
                        } else {
                            throw invalid(text);
                        }
                    } else if (name.equals("startswith") && function.group(4) != null
                            && function.group(4).equalsIgnoreCase("tagName")) {
                        String prefix = function.group(5).replace("''", "'").toLowerCase(Locale.ROOT);
                        all.add(d -> tags(d).keySet().stream()
                                .anyMatch(k -> k.toLowerCase(Locale.ROOT).startsWith(prefix)));
                    } else {
                        throw invalid(text);
                    }
                } else {
                    throw invalid(text);
                }
            }
            if (pendingTagValue != null && tagName == null) {
                throw ArmException.badRequest("InvalidFilterInQueryString", "The $filter '" + text + "' names a"
                        + " tagValue without a tagName.");
            }
            if (tagName != null) {
                String key = tagName;
                String expected = pendingTagValue;
                tagValue |= expected != null;
                all.add(d -> tags(d).entrySet().stream().anyMatch(e -> e.getKey().equalsIgnoreCase(key)
                        && (expected == null || expected.equals(String.valueOf(e.getValue())))));
            }
            alternatives.add(all);
        }
        return new ResourceFilter(alternatives, tagValue);
    }

    boolean test(Map<String, Object> document) {
        return alternatives.isEmpty()
                || alternatives.stream().anyMatch(all -> all.stream().allMatch(p -> p.test(document)));
    }

    /** Azure leaves out the resources' tags when the filter names a tag value (its documented behaviour). */
    boolean hidesTags() {
        return tagValueFilter;
    }

    /** Splits on a keyword outside quotes. */
    private static List<String> split(String text, String keyword) {
        List<String> parts = new ArrayList<>();
        Pattern separator = Pattern.compile("(?i)\\s+" + keyword + "\\s+");
        int start = 0;
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                quoted = !quoted;
            } else if (!quoted && Character.isWhitespace(c)) {
                Matcher m = separator.matcher(text).region(i, text.length());
                if (m.lookingAt()) {
                    parts.add(text.substring(start, i).strip());
                    start = m.end();
                    i = m.end() - 1;
                }
            }
        }
        parts.add(text.substring(start).strip());
        return parts;
    }

    private static ArmException invalid(String text) {
        return ArmException.badRequest("InvalidFilterInQueryString", "Invalid $filter '" + text + "' specified in"
                + " the query string.");
    }

    private static String string(Object value) {
        return value instanceof String s ? s : "";
    }

    /** The resource group named in a resource ID. */
    static String group(Map<String, Object> document) {
        String[] parts = string(document.get("id")).split("/");
        return parts.length > 4 ? parts[4] : "";
    }

    private static Map<String, Object> tags(Map<String, Object> document) {
        return ProviderSupport.map(document.get("tags"));
    }
}
