package dev.imagebake.util;

/**
 * Azure's naming rules for the resources imagebake names, as Microsoft documents them ("Naming rules and
 * restrictions for Azure resources", learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules;
 * details and sources in src/docs/azure-names.md). Both the template checks and the emulator use these, so a name
 * that {@code validate} accepts is one the emulator (and Azure) accepts.
 */
public final class AzureNames {
    private AzureNames() {
    }

    /** A kind of name, with its rule as people read it. */
    public enum Kind {
        RESOURCE_GROUP("resource group", "1-90 letters or digits (any script), '_', '-', '.', '(' and ')', not ending "
                + "in '.'"),
        MANAGED_IMAGE("managed image", "1-80 ASCII letters, digits, '_', '.' and '-', starting with a letter or digit "
                + "and ending with a letter, digit or '_'"),
        GALLERY("gallery", "1-80 ASCII letters, digits, '_' and '.', starting and ending with a letter or digit"),
        GALLERY_IMAGE("gallery image definition", "1-80 ASCII letters, digits, '_', '-' and '.', starting and ending "
                + "with a letter or digit"),
        GALLERY_IMAGE_VERSION("gallery image version", "MAJOR.MINOR.PATCH, three whole numbers from 0 to 2147483647 "
                + "(a 32-bit integer each), like '1.4.0'"),
        VIRTUAL_MACHINE("virtual machine", "1-64 characters without spaces, control characters or any of "
                + "\\ / \" [ ] : | < > + = ; , ? * @ &, not starting with '_' and not ending in '.' or '-'"),
        SCALE_SET("scale set", "1-64 characters without spaces, control characters or any of "
                + "\\ / \" [ ] : | < > + = ; , ? * @ &, not starting with '_' and not ending in '.' or '-'"),
        VIRTUAL_NETWORK("virtual network", "2-64 ASCII letters, digits, '_', '.' and '-', starting with a letter or "
                + "digit and ending with a letter, digit or '_'"),
        SUBNET("subnet", "1-80 ASCII letters, digits, '_', '.' and '-', starting with a letter or digit and ending "
                + "with a letter, digit or '_'");

        private final String noun;
        private final String rule;

        Kind(String noun, String rule) {
            this.noun = noun;
            this.rule = rule;
        }

        public String noun() {
            return noun;
        }

        /** The rule in words: what a name of this kind may be. */
        public String rule() {
            return rule;
        }
    }

    private static final String VM_FORBIDDEN = "\\/\"[]:|<>+=;,?*@&";

    /** Whether Azure accepts {@code name} for this kind of resource. */
    public static boolean valid(Kind kind, String name) {
        return problem(kind, name) == null;
    }

    /**
     * What is wrong with {@code name} as a name of this kind, in a few words ("it is 81 characters long", "it
     * contains '/'"), or {@code null} when Azure accepts it.
     */
    public static String problem(Kind kind, String name) {
        return switch (kind) {
            case RESOURCE_GROUP -> resourceGroup(name);
            case MANAGED_IMAGE, SUBNET -> word(name, 1, 80, "_.-", true);
            case VIRTUAL_NETWORK -> word(name, 2, 64, "_.-", true);
            case GALLERY -> word(name, 1, 80, "_.", false);
            case GALLERY_IMAGE -> word(name, 1, 80, "_-.", false);
            case GALLERY_IMAGE_VERSION -> version(name);
            case VIRTUAL_MACHINE, SCALE_SET -> machine(name);
        };
    }

    private interface CharRule {
        boolean allows(int c);
    }

    private static String length(String name, int min, int max) {
        int n = name.codePointCount(0, name.length());
        if (n < min || n > max) {
            return n == 0 ? "it is empty" : "it is " + n + (n == 1 ? " character" : " characters") + " long";
        }
        return null;
    }

    /** The characters the rule does not allow, each once, in order: "it contains a space and '/'". */
    private static String firstNot(String name, CharRule rule) {
        java.util.List<String> bad = new java.util.ArrayList<>();
        for (int i = 0; i < name.length(); ) {
            int c = name.codePointAt(i);
            if (!rule.allows(c) && !bad.contains(describe(c))) {
                bad.add(describe(c));
            }
            i += Character.charCount(c);
        }
        if (bad.isEmpty()) {
            return null;
        }
        String last = bad.remove(bad.size() - 1);
        return "it contains " + (bad.isEmpty() ? last : String.join(", ", bad) + " and " + last);
    }

    private static boolean asciiAlphanumeric(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** ASCII letters and digits plus {@code extra}; starting with a letter or digit, ending with one (or '_'). */
    private static String word(String name, int min, int max, String extra, boolean mayEndWithUnderscore) {
        String problem = length(name, min, max);
        if (problem == null) {
            problem = firstNot(name, c -> asciiAlphanumeric(c) || extra.indexOf(c) >= 0);
        }
        if (problem == null && !asciiAlphanumeric(name.charAt(0))) {
            problem = "it starts with " + describe(name.charAt(0));
        }
        char last = name.isEmpty() ? 'a' : name.charAt(name.length() - 1);
        if (problem == null && !asciiAlphanumeric(last) && !(mayEndWithUnderscore && last == '_')) {
            problem = "it ends in " + describe(last);
        }
        return problem;
    }

    private static String resourceGroup(String name) {
        String problem = length(name, 1, 90);
        if (problem == null) {
            problem = firstNot(name, c -> Character.isLetterOrDigit(c) || "_-.()".indexOf(c) >= 0);
        }
        return problem == null && name.endsWith(".") ? "it ends in '.'" : problem;
    }

    private static String version(String name) {
        String[] parts = name.split("\\.", -1);
        if (parts.length != 3) {
            return "it has " + parts.length + " part" + (parts.length == 1 ? "" : "s") + ", not 3";
        }
        for (String part : parts) {
            if (part.isEmpty() || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return "'" + part + "' is not a whole number";
            }
            if (part.length() > 10 || Long.parseLong(part) > Integer.MAX_VALUE) {
                return part + " is over 2147483647";
            }
        }
        return null;
    }

    private static String machine(String name) {
        String problem = length(name, 1, 64);
        if (problem == null) {
            problem = firstNot(name, c -> !Character.isWhitespace(c) && !Character.isISOControl(c)
                    && VM_FORBIDDEN.indexOf(c) < 0);
        }
        if (problem == null && name.startsWith("_")) {
            problem = "it starts with '_'";
        }
        if (problem == null && (name.endsWith(".") || name.endsWith("-"))) {
            problem = "it ends in '" + name.charAt(name.length() - 1) + "'";
        }
        return problem;
    }

    private static String describe(int c) {
        if (c == ' ') {
            return "a space";
        }
        if (Character.isISOControl(c) || Character.isWhitespace(c)) {
            return String.format("the control character U+%04X", c);
        }
        return c > 127 ? "'" + new String(Character.toChars(c)) + "' (not an ASCII letter or digit)"
                : "'" + (char) c + "'";
    }
}
