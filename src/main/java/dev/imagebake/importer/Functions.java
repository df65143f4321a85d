package dev.imagebake.importer;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Packer's functions (HCL2 and the JSON template engine alike) as Groovy expressions over imagebake's helpers.
 * A function with no translation throws {@link Unsupported}; the caller keeps the option as a to-do.
 */
final class Functions {
    /** Packer's {@code timestamp()}: RFC 3339 in UTC. */
    static final String RFC3339 = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    static final class Unsupported extends RuntimeException {
        Unsupported(String why) {
            super(why);
        }
    }

    private Functions() {
    }

    static Val call(String name, List<Val> args) {
        switch (name) {
            case "timestamp":
                return new Val.Expr("timestamp(" + Val.quote(RFC3339) + ")");
            case "formatdate":
                if (args.size() == 2 && args.get(0).text() != null && isNow(args.get(1))) {
                    return new Val.Expr("timestamp(" + Val.quote(TimeFormats.fromHcl(args.get(0).text())) + ")");
                }
                throw new Unsupported("formatdate of a time other than timestamp() has no imagebake helper");
            case "env":
                if (args.size() == 1 && args.get(0).text() != null) {
                    return new Val.Expr("env(" + Val.quote(args.get(0).text()) + ")");
                }
                break;
            case "lower":
                return method(args, 0, "toLowerCase()");
            case "upper":
                return method(args, 0, "toUpperCase()");
            case "trimspace":
                return method(args, 0, "trim()");
            case "split":
                if (args.size() == 2 && args.get(0).text() != null) {
                    return method(args, 1, "split(" + Val.quote(java.util.regex.Pattern.quote(args.get(0).text()))
                            + ").toList()");
                }
                break;
            case "join":
                if (args.size() == 2) {
                    return method(args, 1, "join(" + args.get(0).groovy() + ")");
                }
                break;
            case "replace":
                if (args.size() == 3) {
                    String from = args.get(1).text();
                    if (from != null && from.length() > 2 && from.startsWith("/") && from.endsWith("/")) {
                        return method(args, 0, "replaceAll(" + Val.quote(from.substring(1, from.length() - 1)) + ", "
                                + args.get(2).groovy() + ")");
                    }
                    return method(args, 0, "replace(" + args.get(1).groovy() + ", " + args.get(2).groovy() + ")");
                }
                break;
            case "regex_replace":
                if (args.size() == 3) {
                    return method(args, 0, "replaceAll(" + args.get(1).groovy() + ", " + args.get(2).groovy() + ")");
                }
                break;
            case "trim":
                if (args.size() == 2 && args.get(1).text() != null) {
                    String set = "[" + args.get(1).text().replaceAll("([\\\\\\[\\]^-])", "\\\\$1") + "]+";
                    return method(args, 0, "replaceAll(" + Val.quote("^" + set + "|" + set + "$") + ", '')");
                }
                break;
            case "concat":
            case "merge":
                return new Val.Expr(args.stream().map(Functions::operand).collect(Collectors.joining(" + ")));
            case "coalesce":
                return new Val.Expr(args.stream().map(Functions::operand).collect(Collectors.joining(" ?: ")));
            case "lookup":
                if (args.size() == 3) {
                    return method(args, 0, "getOrDefault(" + args.get(1).groovy() + ", " + args.get(2).groovy() + ")");
                }
                if (args.size() == 2) {
                    return new Val.Expr(operand(args.get(0)) + "[" + args.get(1).groovy() + "]");
                }
                break;
            default:
                throw new Unsupported("the function " + name + "() has no translation");
        }
        throw new Unsupported(name + "() with these arguments has no translation");
    }

    private static boolean isNow(Val v) {
        return v instanceof Val.Expr e && e.code().equals("timestamp(" + Val.quote(RFC3339) + ")");
    }

    private static Val method(List<Val> args, int target, String call) {
        if (args.size() <= target) {
            throw new Unsupported("too few arguments");
        }
        return new Val.Expr(operand(args.get(target)) + "." + call);
    }

    /** The value as the target of a method call or an operand. */
    static String operand(Val v) {
        if (v instanceof Val.Expr e) {
            return e.operand();
        }
        if (v instanceof Val.Lst || v instanceof Val.Obj) {
            return "(" + v.groovy() + ")";
        }
        return v.groovy();
    }

    /** A value as a map, for {@code Obj} keys that are plain names. */
    static Map<String, Val> entries(Val v) {
        return v instanceof Val.Obj o ? o.entries() : Map.of();
    }
}
