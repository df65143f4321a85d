package dev.imagebake.emulator.arm;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One injected failure, parsed from {@code --fault} text (grammar in src/docs/emulator.md):
 * <pre>
 *   [METHOD ] TARGET:ACTION[xCOUNT][,retry-after=SECONDS][,code=CODE]
 *   PUT virtualMachines:500           the next VM PUT answers 500, later ones work
 *   PUT *&#47;virtualMachines/*:429x2,retry-after=1
 *   PUT images:lro-failed=InternalExecutionError
 *   DELETE virtualNetworks:hang
 * </pre>
 * TARGET is a resource type (the last type segment of the path, or the action after it, case-insensitive; {@code *}
 * for any) or, when it holds a {@code /}, a path glob ({@code *} within a segment, {@code **} across segments;
 * without a leading {@code /} it matches the end of the path). COUNT is how many matching requests fail (default 1,
 * {@code *} for all).
 *
 * @param text       the spec as written, for messages and the request log
 * @param method     upper-case method, or {@code null} for any
 * @param type       lower-case resource type or action, {@code null} when {@code glob} is used; {@code *} for any
 * @param glob       the path glob as a regular expression, or {@code null}
 * @param status     the HTTP status to answer with, or 0 for the LRO actions
 * @param failWith   {@code lro-failed}: the error code the operation ends with
 * @param hang       the operation never completes
 * @param count      how many matching requests the fault applies to; -1 for all
 * @param retryAfter {@code Retry-After} seconds sent with a status fault, or -1 for none
 * @param code       the error code in a status fault's body
 */
public record FaultSpec(String text, String method, String type, Pattern glob, int status, String failWith,
                        boolean hang, int count, int retryAfter, String code) {
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "*");
    private static final Pattern COUNT = Pattern.compile("^(.*?)x(\\d+|\\*)$");
    private static final Pattern CODE = Pattern.compile("[A-Za-z][A-Za-z0-9._-]*");

    /** True for a fault that answers the request itself (a status), false for one that changes its operation. */
    public boolean answersRequest() {
        return status > 0;
    }

    /** The target as written: a resource type, {@code *}, or a path glob. */
    public String target() {
        String head = text.substring(0, text.lastIndexOf(':')).strip();
        int space = head.indexOf(' ');
        return space >= 0 ? head.substring(space + 1).strip() : head;
    }

    /** Parses {@code --fault} text; the message of the exception says what is wrong and how it should look. */
    public static FaultSpec parse(String text) {
        String spec = text.strip();
        int colon = spec.lastIndexOf(':');
        if (colon < 0) {
            throw invalid(text, "it has no ':' between the target and the action");
        }
        String head = spec.substring(0, colon).strip();
        String method = null;
        int space = head.indexOf(' ');
        if (space >= 0) {
            method = head.substring(0, space).toUpperCase(Locale.ROOT);
            head = head.substring(space + 1).strip();
            if (!METHODS.contains(method)) {
                throw invalid(text, "'" + method + "' is not an HTTP method (GET, PUT, PATCH, POST, DELETE, HEAD or *)");
            }
            if (method.equals("*")) {
                method = null;
            }
        }
        if (head.isEmpty() || head.contains(" ")) {
            throw invalid(text, "the target must be one resource type (virtualMachines) or one path glob");
        }
        String type = head.contains("/") ? null : head.toLowerCase(Locale.ROOT);
        Pattern glob = type == null ? globPattern(head) : null;

        String[] parts = spec.substring(colon + 1).split(",", -1);
        String action = parts[0].strip();
        int count = 1;
        Matcher counted = COUNT.matcher(action);
        if (counted.matches()) {
            action = counted.group(1);
            count = counted.group(2).equals("*") ? -1 : parseCount(text, counted.group(2));
        }
        int status = 0;
        String failWith = null;
        boolean hang = false;
        if (action.matches("\\d{3}")) {
            status = Integer.parseInt(action);
            if (status < 400 || status > 599) {
                throw invalid(text, "the status must be an error status, 400 to 599");
            }
        } else if (action.equals("hang")) {
            hang = true;
        } else if (action.startsWith("lro-failed=")) {
            failWith = action.substring("lro-failed=".length());
            if (!CODE.matcher(failWith).matches()) {
                throw invalid(text, "lro-failed needs an error code, e.g. lro-failed=InternalExecutionError");
            }
        } else {
            throw invalid(text, "the action '" + action + "' is none of STATUS (e.g. 500), lro-failed=CODE, hang");
        }
        int retryAfter = -1;
        String code = null;
        for (int i = 1; i < parts.length; i++) {
            String option = parts[i].strip();
            if (option.startsWith("retry-after=") && status > 0) {
                String value = option.substring("retry-after=".length());
                if (!value.matches("\\d{1,5}")) {
                    throw invalid(text, "retry-after must be whole seconds, e.g. retry-after=1");
                }
                retryAfter = Integer.parseInt(value);
            } else if (option.startsWith("code=") && status > 0 && CODE.matcher(option.substring(5)).matches()) {
                code = option.substring(5);
            } else {
                throw invalid(text, "unknown option '" + option + "' (status faults take retry-after=SECONDS and"
                        + " code=CODE; lro-failed and hang take none)");
            }
        }
        if (status > 0 && code == null) {
            code = defaultCode(status);
        }
        if (status == 429 && retryAfter < 0) {
            retryAfter = 1;  // ARM always tells a throttled client how long to wait
        }
        return new FaultSpec(spec, method, type, glob, status, failWith, hang, count, retryAfter, code);
    }

    /** Whether a request's method and path are what this fault aims at; a {@code null} method is any. */
    public boolean matches(String requestMethod, ArmPath path, String rawPath) {
        if (method != null && requestMethod != null && !method.equals(requestMethod)) {
            return false;
        }
        if (glob != null) {
            return glob.matcher(rawPath).matches();
        }
        return type.equals("*") || lastTypeOrAction(path, type);
    }

    /** Resource segments come in type/name pairs after a provider namespace (or from the start); a lone one ends. */
    private static boolean lastTypeOrAction(ArmPath path, String type) {
        int start = 0;
        for (int i = path.size() - 2; i >= 0; i--) {
            if (path.segment(i).equalsIgnoreCase("providers")) {
                start = i + 2;
                break;
            }
        }
        int pairs = (path.size() - start) / 2;
        boolean lone = (path.size() - start) % 2 == 1;
        if (lone && path.segment(path.size() - 1).equalsIgnoreCase(type)) {
            return true;
        }
        return pairs > 0 && path.segment(start + 2 * (pairs - 1)).equalsIgnoreCase(type);
    }

    private static Pattern globPattern(String glob) {
        StringBuilder regex = new StringBuilder(glob.startsWith("/") ? "" : "(?:.*/)?");
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE);
    }

    private static int parseCount(String text, String digits) {
        try {
            int count = Integer.parseInt(digits);
            if (count >= 1) {
                return count;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw invalid(text, "the count after 'x' must be a whole number >= 1, or '*' for every matching request");
    }

    private static String defaultCode(int status) {
        return switch (status) {
            case 400 -> "BadRequest";
            case 404 -> "NotFound";
            case 408 -> "RequestTimeout";
            case 409 -> "Conflict";
            case 429 -> "SubscriptionRequestsThrottled";
            case 500 -> "InternalServerError";
            case 502 -> "BadGateway";
            case 503 -> "ServiceUnavailable";
            case 504 -> "GatewayTimeout";
            default -> "InjectedFault";
        };
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("Invalid fault '" + text + "': " + why + ". Expected"
                + " [METHOD ] TYPE-OR-PATH-GLOB:ACTION[xCOUNT][,OPTION...], e.g. 'PUT virtualMachines:500x2',"
                + " 'PUT images:lro-failed=InternalExecutionError', 'DELETE virtualNetworks:hang'.");
    }
}
