package dev.imagebake.importer;

import java.util.LinkedHashMap;
import java.util.Map;

/** Packer's date layouts turned into Java {@link java.time.format.DateTimeFormatter} patterns. */
final class TimeFormats {
    private static final Map<String, String> GO = new LinkedHashMap<>();
    private static final Map<String, String> HCL = new LinkedHashMap<>();

    static {
        // Go's reference time Mon Jan 2 15:04:05 MST 2006; longest tokens first.
        GO.put("2006", "yyyy");
        GO.put("January", "MMMM");
        GO.put("Monday", "EEEE");
        GO.put("Jan", "MMM");
        GO.put("Mon", "EEE");
        GO.put("MST", "z");
        GO.put("Z07:00", "XXX");
        GO.put("-07:00", "xxx");
        GO.put("-0700", "xx");
        GO.put(".000", ".SSS");
        GO.put("01", "MM");
        GO.put("02", "dd");
        GO.put("15", "HH");
        GO.put("03", "hh");
        GO.put("04", "mm");
        GO.put("05", "ss");
        GO.put("06", "yy");
        GO.put("PM", "a");
        GO.put("_2", "d");
        GO.put("1", "M");
        GO.put("2", "d");
        GO.put("3", "h");
        GO.put("4", "m");
        GO.put("5", "s");
        // HCL formatdate: https://developer.hashicorp.com/packer/docs/templates/hcl_templates/functions/datetime/formatdate
        HCL.put("YYYY", "yyyy");
        HCL.put("YY", "yy");
        HCL.put("MMMM", "MMMM");
        HCL.put("MMM", "MMM");
        HCL.put("MM", "MM");
        HCL.put("M", "M");
        HCL.put("DD", "dd");
        HCL.put("D", "d");
        HCL.put("EEEE", "EEEE");
        HCL.put("EEE", "EEE");
        HCL.put("hh", "HH");
        HCL.put("h", "H");
        HCL.put("HH", "hh");
        HCL.put("H", "h");
        HCL.put("mm", "mm");
        HCL.put("m", "m");
        HCL.put("ss", "ss");
        HCL.put("s", "s");
        HCL.put("AA", "a");
        HCL.put("aa", "a");
        HCL.put("ZZZZZ", "XXX");
        HCL.put("ZZZZ", "xx");
        HCL.put("ZZZ", "'UTC'");
        HCL.put("Z", "X");
    }

    private TimeFormats() {
    }

    /** Go's layout ({@code "2006-01-02T15:04:05Z07:00"}) as a Java pattern. */
    static String fromGo(String layout) {
        return translate(layout, GO, false);
    }

    /** HCL's {@code formatdate} spec ({@code "YYYY-MM-DD'T'hh"}) as a Java pattern. */
    static String fromHcl(String spec) {
        return translate(spec, HCL, true);
    }

    private static String translate(String in, Map<String, String> tokens, boolean hclQuotes) {
        StringBuilder out = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < in.length()) {
            if (hclQuotes && in.charAt(i) == '\'') {
                int end = in.indexOf('\'', i + 1);
                end = end < 0 ? in.length() : end;
                literal.append(in, i + 1, end);
                i = end + 1;
                continue;
            }
            String match = null;
            for (String token : tokens.keySet()) {
                if (in.startsWith(token, i) && (match == null || token.length() > match.length())) {
                    match = token;
                }
            }
            if (match == null) {
                literal.append(in.charAt(i++));
                continue;
            }
            flush(out, literal);
            out.append(tokens.get(match));
            i += match.length();
        }
        flush(out, literal);
        return out.toString();
    }

    private static void flush(StringBuilder out, StringBuilder literal) {
        if (literal.length() == 0) {
            return;
        }
        String text = literal.toString();
        if (text.chars().allMatch(c -> "-_.:/ ,".indexOf(c) >= 0)) {
            out.append(text);
        } else {
            out.append('\'').append(text.replace("'", "''")).append('\'');
        }
        literal.setLength(0);
    }
}
