package dev.imagebake.dsl.sandbox;

import groovy.lang.Closure;
import groovy.lang.GString;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a template may call, by kind of receiver. Everything not named here is refused: there is no way to reach a
 * class, a class loader, a file, a process, a thread, reflection or a metaclass from an allowed value.
 */
final class Allowlist {
    private Allowlist() {
    }

    /** Kinds of values a template can hold; anything else never reaches template code through an allowed call. */
    enum Kind { STRING, NUMBER, BOOLEAN, CHARACTER, MAP, ENTRY, COLLECTION, ARRAY, CLOSURE, MATCHER, PATTERN, VALUE, OTHER }

    private static final Set<String> COMMON = Set.of("toString", "equals", "hashCode", "compareTo", "asBoolean");

    static final Set<String> STRING = Set.of(
            "charAt", "codePointAt", "compareToIgnoreCase", "concat", "contains", "endsWith", "equalsIgnoreCase",
            "indexOf", "isEmpty", "isBlank", "lastIndexOf", "length", "startsWith", "strip", "stripLeading",
            "stripTrailing", "substring", "toLowerCase", "toUpperCase", "trim", "replace", "capitalize", "uncapitalize",
            "center", "padLeft", "padRight", "repeat", "count", "drop", "take", "dropRight", "takeRight", "takeWhile",
            "dropWhile", "each", "eachWithIndex", "eachLine", "collect", "getAt", "isInteger", "isNumber", "isLong",
            "isDouble", "isBigDecimal", "isBigInteger", "toInteger", "toLong", "toDouble", "toBigDecimal",
            "toBigInteger", "toBoolean", "toList", "toSet", "tokenize", "readLines", "reverse", "size", "stripIndent",
            "stripMargin", "expand", "unexpand", "plus", "minus", "multiply", "next", "previous", "normalize",
            "denormalize", "matches", "replaceAll", "replaceFirst", "split", "find", "findAll",
            "encodeBase64", "decodeBase64");

    static final Set<String> NUMBER = Set.of(
            "plus", "minus", "multiply", "div", "mod", "power", "intdiv", "abs", "intValue", "longValue",
            "doubleValue", "floatValue", "toInteger", "toLong", "toDouble", "toBigDecimal", "toBigInteger", "round",
            "trunc", "times", "upto", "downto", "step", "next", "previous", "negative", "positive", "and", "or",
            "xor", "leftShift", "rightShift", "rightShiftUnsigned", "isNaN", "isInfinite", "signum", "max", "min", "setScale",
            "stripTrailingZeros", "toPlainString", "remainder", "bitwiseNegate", "isZero");

    static final Set<String> BOOLEAN = Set.of("and", "or", "xor", "implies", "booleanValue", "not");

    static final Set<String> CHARACTER = Set.of("isLetter", "isDigit", "isLetterOrDigit", "isUpperCase",
            "isLowerCase", "isWhitespace", "toUpperCase", "toLowerCase", "charValue", "next", "previous", "plus",
            "minus");

    static final Set<String> COLLECTION = Set.of(
            "add", "addAll", "any", "asImmutable", "clear", "collate", "collect", "collectEntries", "collectMany",
            "contains", "containsAll", "count", "countBy", "drop", "dropRight", "dropWhile", "each", "eachWithIndex",
            "every", "find", "findAll", "findIndexOf", "findLastIndexOf", "findResult", "findResults", "first",
            "flatten", "get", "getAt", "groupBy", "head", "indexOf", "indexed", "init", "inject", "intersect",
            "isEmpty", "join", "last", "lastIndexOf", "max", "min", "minus", "multiply", "plus", "push", "pop",
            "remove", "removeAll", "removeAt", "removeLast", "retainAll", "reverse", "set", "size", "sort", "sum",
            "tail", "take", "takeRight", "takeWhile", "toList", "toSet", "toSorted", "toUnique", "unique",
            "withIndex", "split", "disjoint", "subList", "putAt", "leftShift", "getFrom", "getTo", "isReverse",
            "step", "asReversed", "containsWithinBounds", "average", "chop");

    static final Set<String> MAP = Set.of(
            "any", "collect", "collectEntries", "collectMany", "containsKey", "containsValue", "count", "countBy",
            "drop", "each", "eachWithIndex", "entrySet", "every", "find", "findAll", "findResult", "findResults",
            "get", "getAt", "getOrDefault", "groupBy", "inject", "isEmpty", "keySet", "max", "min", "minus", "plus",
            "put", "putAll", "putAt", "remove", "size", "sort", "subMap", "take", "values", "leftShift",
            "collectKeys", "collectValues");

    static final Set<String> ENTRY = Set.of("getKey", "getValue", "key", "value");

    static final Set<String> ARRAY = Set.of("size", "getAt", "toList", "each", "collect", "join", "encodeBase64",
            "contains", "length", "findAll", "any", "every", "sum", "max", "min");

    static final Set<String> CLOSURE = Set.of("call", "curry", "rcurry", "ncurry", "memoize",
            "getMaximumNumberOfParameters", "rightShift", "leftShift");

    static final Set<String> MATCHER = Set.of("getAt", "size", "getCount", "find", "matches", "group",
            "groupCount", "each", "collect", "hasGroup");

    static final Set<String> PATTERN = Set.of("pattern");

    /** Collection and map methods that change their receiver: only for collections the template built. */
    private static final Set<String> MUTATORS = Set.of("add", "addAll", "clear", "push", "pop", "remove",
            "removeAll", "removeAt", "removeLast", "retainAll", "set", "putAt", "leftShift", "put", "putAll");
    /** List methods that change their receiver unless told not to, as in {@code sort(false)}. */
    private static final Set<String> IN_PLACE = Set.of("sort", "unique");

    static boolean mutates(Kind kind, String method, Object[] args) {
        if (kind != Kind.COLLECTION && kind != Kind.MAP) {
            return false;
        }
        return MUTATORS.contains(method) || (kind == Kind.COLLECTION && IN_PLACE.contains(method)
                && !(args.length > 0 && Boolean.FALSE.equals(args[0])));
    }

    /** Collection methods whose cost grows with the square of the input: refused on large inputs. */
    static final Set<String> QUADRATIC = Set.of("unique", "toUnique", "intersect", "minus", "disjoint",
            "removeAll", "retainAll", "containsAll");

    static Kind kindOf(Object value) {
        if (value instanceof CharSequence && (value instanceof String || value instanceof GString)) {
            return Kind.STRING;
        } else if (value instanceof Number) {
            return Kind.NUMBER;
        } else if (value instanceof Boolean) {
            return Kind.BOOLEAN;
        } else if (value instanceof Character) {
            return Kind.CHARACTER;
        } else if (value instanceof Map) {
            return Kind.MAP;
        } else if (value instanceof Map.Entry) {
            return Kind.ENTRY;
        } else if (value instanceof Collection) {
            return Kind.COLLECTION;
        } else if (value != null && value.getClass().isArray()) {
            return Kind.ARRAY;
        } else if (value instanceof Closure) {
            return Kind.CLOSURE;
        } else if (value instanceof Matcher) {
            return Kind.MATCHER;
        } else if (value instanceof Pattern) {
            return Kind.PATTERN;
        } else if (value instanceof TemplateValue) {
            return Kind.VALUE;
        }
        return Kind.OTHER;
    }

    static boolean allowsMethod(Kind kind, String name) {
        Set<String> names = switch (kind) {
            case STRING -> STRING;
            case NUMBER -> NUMBER;
            case BOOLEAN -> BOOLEAN;
            case CHARACTER -> CHARACTER;
            case MAP -> MAP;
            case ENTRY -> ENTRY;
            case COLLECTION -> COLLECTION;
            case ARRAY -> ARRAY;
            case CLOSURE -> CLOSURE;
            case MATCHER -> MATCHER;
            case PATTERN -> PATTERN;
            case VALUE, OTHER -> Set.of();
        };
        return names.contains(name) || (kind != Kind.OTHER && COMMON.contains(name));
    }

    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        return switch (kindOf(value)) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case CHARACTER -> "a character";
            case MAP -> "a map";
            case ENTRY -> "a map entry";
            case COLLECTION -> "a list";
            case ARRAY -> "an array";
            case CLOSURE -> "a closure";
            case MATCHER -> "a regex match";
            case PATTERN -> "a regex pattern";
            case VALUE -> value.getClass().getSimpleName();
            case OTHER -> "a " + value.getClass().getSimpleName();
        };
    }
}
