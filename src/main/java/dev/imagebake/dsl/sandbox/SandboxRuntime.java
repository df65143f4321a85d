package dev.imagebake.dsl.sandbox;

import groovy.lang.Closure;
import groovy.lang.GString;
import org.codehaus.groovy.runtime.InvokerHelper;
import org.codehaus.groovy.runtime.ScriptBytecodeAdapter;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The only door from template code to the rest of the JVM. {@link CallRewriter} turns every method call, property
 * access, index, operator and name lookup of a template into a call to one of these methods, which checks it against
 * the {@link Allowlist} and the {@link Guard}'s limits before doing it.
 */
public final class SandboxRuntime {
    private static final int QUADRATIC_LIMIT = 10_000;

    private SandboxRuntime() {
    }

    // ---- names without a receiver ------------------------------------------------------------------------------

    public static Object callImplicit(Object self, Object name, List<?> args, int line, int column) {
        Guard guard = enter(line, column);
        return scope(self).call(methodName(name, guard), args.toArray());
    }

    public static Object getImplicit(Object self, String name, int line, int column) {
        enter(line, column);
        return scope(self).get(name);
    }

    public static Object setImplicit(Object self, String name, Object value, int line, int column) {
        enter(line, column);
        scope(self).set(name, value);
        return value;
    }

    public static void checkpoint() {
        Guard.current().checkpoint();
    }

    // ---- calls on a receiver -----------------------------------------------------------------------------------

    public static Object call(Object receiver, Object name, List<?> args, boolean safe, boolean spread, int line,
                              int column) {
        Guard guard = enter(line, column);
        String method = methodName(name, guard);
        if (spread) {
            return spread(receiver, guard, item -> invoke(item, method, args.toArray(), true, guard));
        }
        return invoke(receiver, method, args.toArray(), safe, guard);
    }

    public static Object getProperty(Object receiver, Object name, boolean safe, boolean spread, int line,
                                     int column) {
        Guard guard = enter(line, column);
        String property = methodName(name, guard);
        if (spread) {
            return spread(receiver, guard, item -> property(item, property, true, guard));
        }
        return property(receiver, property, safe, guard);
    }

    public static Object setProperty(Object receiver, Object name, Object value, boolean safe, int line, int column) {
        Guard guard = enter(line, column);
        String property = methodName(name, guard);
        if (receiver == null && safe) {
            return null;
        }
        if (receiver instanceof Map<?, ?> map) {
            putChecked(map, property, value, guard);
            return value;
        }
        throw refused("cannot set property `" + property + "` on " + Allowlist.describe(receiver)
                + " (only map entries can be assigned)", guard);
    }

    public static Object getAt(Object receiver, Object index, boolean safe, int line, int column) {
        Guard guard = enter(line, column);
        if (receiver == null) {
            if (safe) {
                return null;
            }
            throw refused("cannot index null with [" + shortText(index) + "]", guard);
        }
        switch (Allowlist.kindOf(receiver)) {
            case STRING, MAP, COLLECTION, ARRAY, MATCHER -> {
                Object target = receiver instanceof GString ? receiver.toString() : receiver;
                if (target instanceof Map<?, ?> map) {
                    return map.get(index);
                }
                return InvokerHelper.invokeMethod(target, "getAt", new Object[] {index});
            }
            default -> throw refused("cannot index " + Allowlist.describe(receiver), guard);
        }
    }

    public static Object putAt(Object receiver, Object index, Object value, int line, int column) {
        Guard guard = enter(line, column);
        if (receiver instanceof Map<?, ?> map) {
            putChecked(map, index, value, guard);
            return value;
        }
        if (receiver instanceof List<?> list) {
            if (index instanceof Number n) {
                guard.checkCollectionSize(Math.max(list.size(), n.longValue() + 1));
            }
            InvokerHelper.invokeMethod(list, "putAt", new Object[] {index, value});
            return value;
        }
        throw refused("cannot assign an index of " + Allowlist.describe(receiver), guard);
    }

    // ---- operators ---------------------------------------------------------------------------------------------

    public static Object binary(String operator, Object left, Object right, int line, int column) {
        Guard guard = enter(line, column);
        return switch (operator) {
            case "+" -> invoke(left, "plus", new Object[] {right}, false, guard);
            case "-" -> invoke(left, "minus", new Object[] {right}, false, guard);
            case "*" -> invoke(left, "multiply", new Object[] {right}, false, guard);
            case "/" -> invoke(left, "div", new Object[] {right}, false, guard);
            case "%" -> invoke(left, "mod", new Object[] {right}, false, guard);
            case "**" -> invoke(left, "power", new Object[] {right}, false, guard);
            case "<<" -> invoke(left, "leftShift", new Object[] {right}, false, guard);
            case ">>" -> invoke(left, "rightShift", new Object[] {right}, false, guard);
            case "&" -> invoke(left, "and", new Object[] {right}, false, guard);
            case "|" -> invoke(left, "or", new Object[] {right}, false, guard);
            case "^" -> invoke(left, "xor", new Object[] {right}, false, guard);
            case "=~" -> matcher(left, right, guard);
            case "==~" -> matcher(left, right, guard).matches();
            case "in" -> isCase(right, left, guard);
            case "!in" -> !isCase(right, left, guard);
            default -> throw refused("the operator " + operator + " is not available in templates", guard);
        };
    }

    public static Object range(Object from, Object to, boolean exclusiveLeft, boolean exclusiveRight, int line,
                               int column) throws Throwable {
        Guard guard = enter(line, column);
        if (from instanceof Number f && to instanceof Number t) {
            guard.checkCollectionSize(Math.abs(t.longValue() - f.longValue()) + 1);
        } else if (!(from instanceof String && to instanceof String)) {
            throw refused("a range needs numbers or strings, not " + Allowlist.describe(from) + " and "
                    + Allowlist.describe(to), guard);
        }
        return ScriptBytecodeAdapter.createRange(from, to, exclusiveLeft, exclusiveRight);
    }

    /** A string value that is at most the string limit long, computed without building anything larger. */
    public static String text(Object value) {
        Guard guard = Guard.current();
        guard.checkStringLength(renderedLength(value, guard.limits().maxStringLength(), 0, new IdentityHashMap<>()));
        return value == null ? "null" : InvokerHelper.toString(value);
    }

    // ---- internals ---------------------------------------------------------------------------------------------

    private static Guard enter(int line, int column) {
        Guard guard = Guard.current();
        guard.at(line, column);
        guard.checkpoint();
        return guard;
    }

    private static ImplicitScope scope(Object self) {
        if (self instanceof SandboxedScript script) {
            return script.implicitScope();
        }
        throw new SandboxException("template code ran outside its script", 0, 0);
    }

    private static String methodName(Object name, Guard guard) {
        String text = name instanceof GString ? text(name) : String.valueOf(name);
        if (text.isEmpty() || text.startsWith("$") || text.contains("__")) {
            throw refused("the name `" + text + "` is not available in templates", guard);
        }
        return text;
    }

    private interface ItemAction {
        Object apply(Object item);
    }

    private static Object spread(Object receiver, Guard guard, ItemAction action) {
        if (receiver == null) {
            return null;
        }
        if (!(receiver instanceof Collection<?> items)) {
            throw refused("the spread operator *. needs a list, not " + Allowlist.describe(receiver), guard);
        }
        List<Object> results = new ArrayList<>(items.size());
        for (Object item : items) {
            results.add(action.apply(item));
        }
        return results;
    }

    private static Object invoke(Object receiver, String method, Object[] args, boolean safe, Guard guard) {
        if (receiver == null) {
            if (safe) {
                return null;
            }
            throw refused("cannot call `" + method + "` on null", guard);
        }
        Allowlist.Kind kind = Allowlist.kindOf(receiver);
        if (!Allowlist.allowsMethod(kind, method)) {
            throw refused("`" + method + "` cannot be called on " + Allowlist.describe(receiver)
                    + " in a template", guard);
        }
        Object target = receiver instanceof GString ? text(receiver) : receiver;
        if (method.equals("toString")) {
            return text(target);
        }
        return switch (kind) {
            case STRING -> stringMethod((String) target, method, args, guard);
            case COLLECTION, MAP, ARRAY -> collectionMethod(target, method, args, guard);
            case NUMBER -> numberMethod((Number) target, method, args, guard);
            case PATTERN -> ((Pattern) target).pattern();
            default -> InvokerHelper.invokeMethod(target, method, args);
        };
    }

    private static Object stringMethod(String s, String method, Object[] args, Guard guard) {
        switch (method) {
            case "plus", "concat" -> guard.checkStringLength((long) s.length() + renderedLength(arg(args, 0), guard));
            case "multiply", "repeat" -> guard.checkStringLength((long) s.length() * longArg(args, 0, guard));
            case "padLeft", "padRight", "center" -> guard.checkStringLength(longArg(args, 0, guard));
            case "matches" -> {
                return guardedPattern(arg(args, 0), guard).matcher(new GuardedCharSequence(s, guard)).matches();
            }
            case "replaceAll", "replaceFirst" -> {
                if (!(arg(args, 1) instanceof CharSequence replacement)) {
                    throw refused("`" + method + "` takes a regex and a replacement string", guard);
                }
                Matcher m = guardedPattern(arg(args, 0), guard).matcher(new GuardedCharSequence(s, guard));
                String result = method.equals("replaceAll") ? m.replaceAll(replacement.toString())
                        : m.replaceFirst(replacement.toString());
                guard.checkStringLength(result.length());
                return result;
            }
            case "split" -> {
                if (args.length == 0) {
                    return InvokerHelper.invokeMethod(s, "split", args);
                }
                Pattern p = guardedPattern(arg(args, 0), guard);
                return args.length > 1 ? p.split(new GuardedCharSequence(s, guard), (int) longArg(args, 1, guard))
                        : p.split(new GuardedCharSequence(s, guard));
            }
            case "find" -> {
                if (args.length == 1) {
                    Matcher m = guardedPattern(args[0], guard).matcher(new GuardedCharSequence(s, guard));
                    return m.find() ? m.group() : null;
                }
            }
            case "findAll" -> {
                if (args.length == 1) {
                    Matcher m = guardedPattern(args[0], guard).matcher(new GuardedCharSequence(s, guard));
                    List<String> found = new ArrayList<>();
                    while (m.find()) {
                        found.add(m.group());
                        guard.checkCollectionSize(found.size());
                    }
                    return found;
                }
            }
            case "encodeBase64" -> {
                return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
            }
            case "contains", "indexOf", "lastIndexOf", "replace", "count", "minus" -> {
                long work = (long) s.length() * renderedLength(arg(args, 0), guard);
                if (work > 4_000_000_000L) {
                    throw new LimitExceededException("`" + method + "` on a " + s.length()
                            + "-character string with so long an argument is over the work limit", guard.line(),
                            guard.column());
                }
            }
            default -> {
            }
        }
        if (args.length > 0 && args[args.length - 1] instanceof Pattern) {
            throw refused("`" + method + "` with a regex pattern argument is not available; use =~ or find", guard);
        }
        return InvokerHelper.invokeMethod(s, method, args);
    }

    private static Object collectionMethod(Object target, String method, Object[] args, Guard guard) {
        int size = sizeOf(target);
        switch (method) {
            case "multiply" -> guard.checkCollectionSize((long) size * longArg(args, 0, guard));
            case "plus", "addAll", "leftShift", "putAll" -> guard.checkCollectionSize((long) size
                    + (arg(args, 0) instanceof Collection<?> c ? c.size() : arg(args, 0) instanceof Map<?, ?> m
                    ? m.size() : 1));
            case "join" -> guard.checkStringLength(renderedLength(target, guard));
            case "sum" -> {
                if (args.length == 0 && target instanceof Collection<?> items) {
                    return sum(items, guard);
                }
            }
            case "collate" -> {
                if (longArg(args, 0, guard) < 1) {
                    throw refused("`collate` needs a size of at least 1", guard);
                }
            }
            default -> {
                if (Allowlist.QUADRATIC.contains(method)) {
                    int other = arg(args, 0) instanceof Collection<?> c ? c.size() : 0;
                    if (size > QUADRATIC_LIMIT || other > QUADRATIC_LIMIT) {
                        throw new LimitExceededException("`" + method + "` on more than " + QUADRATIC_LIMIT
                                + " elements is over the work limit", guard.line(), guard.column());
                    }
                }
            }
        }
        for (Object a : args) {
            if (a instanceof Pattern) {
                throw refused("`" + method + "` with a regex pattern argument is not available", guard);
            }
        }
        return InvokerHelper.invokeMethod(target, method, args);
    }

    private static Object numberMethod(Number n, String method, Object[] args, Guard guard) {
        if ((method.equals("power") || method.equals("leftShift")) && arg(args, 0) instanceof Number exponent) {
            double magnitude = Math.abs(n.doubleValue());
            double bits = method.equals("power")
                    ? (magnitude <= 1 ? 0 : exponent.doubleValue() * (Math.log(magnitude) / Math.log(2)))
                    : (n instanceof BigInteger ? exponent.doubleValue() : 0);
            if (bits > 1_000_000) {
                throw new LimitExceededException("the result of `" + method + "` would have about " + (long) bits
                        + " bits, over the limit of 1000000", guard.line(), guard.column());
            }
        }
        if (method.equals("step") || method.equals("upto") || method.equals("downto") || method.equals("times")) {
            return InvokerHelper.invokeMethod(n, method, args); // each round calls a closure, which checks the guard
        }
        return InvokerHelper.invokeMethod(n, method, args);
    }

    private static Object sum(Collection<?> items, Guard guard) {
        Object total = null;
        boolean first = true;
        for (Object item : items) {
            total = first ? item : invoke(total, "plus", new Object[] {item}, false, guard);
            first = false;
        }
        return total;
    }

    private static Object property(Object receiver, String name, boolean safe, Guard guard) {
        if (receiver == null) {
            if (safe) {
                return null;
            }
            throw refused("cannot read `" + name + "` of null", guard);
        }
        switch (Allowlist.kindOf(receiver)) {
            case MAP:
                return ((Map<?, ?>) receiver).get(name);
            case ENTRY:
                if (name.equals("key")) {
                    return ((Map.Entry<?, ?>) receiver).getKey();
                } else if (name.equals("value")) {
                    return ((Map.Entry<?, ?>) receiver).getValue();
                }
                break;
            case VALUE:
                return ((TemplateValue) receiver).templateProperty(name);
            case COLLECTION:
                if (name.equals("empty")) {
                    return ((Collection<?>) receiver).isEmpty();
                }
                if (name.equals("from") || name.equals("to")) {
                    if (receiver instanceof groovy.lang.Range<?> r) {
                        return name.equals("from") ? r.getFrom() : r.getTo();
                    }
                    break;
                }
                return spread(receiver, guard, item -> property(item, name, true, guard));
            case STRING:
                if (name.equals("empty")) {
                    return receiver.toString().isEmpty();
                } else if (name.equals("blank")) {
                    return receiver.toString().isBlank();
                } else if (name.equals("bytes")) {
                    return receiver.toString().getBytes(StandardCharsets.UTF_8);
                }
                break;
            case ARRAY:
                if (name.equals("length")) {
                    return java.lang.reflect.Array.getLength(receiver);
                }
                break;
            default:
                break;
        }
        throw refused("`" + name + "` cannot be read from " + Allowlist.describe(receiver) + " in a template",
                guard);
    }

    private static boolean isCase(Object caseValue, Object candidate, Guard guard) {
        if (caseValue instanceof Pattern pattern) {
            return candidate != null && guardedPattern(pattern.pattern(), guard)
                    .matcher(new GuardedCharSequence(text(candidate), guard)).matches();
        }
        switch (Allowlist.kindOf(caseValue)) {
            case STRING, NUMBER, BOOLEAN, CHARACTER, MAP, COLLECTION, ARRAY, CLOSURE -> {
                try {
                    return ScriptBytecodeAdapter.isCase(candidate, caseValue);
                } catch (RuntimeException | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
            }
            default -> throw refused("`in` cannot test against " + Allowlist.describe(caseValue), guard);
        }
    }

    private static Matcher matcher(Object left, Object right, Guard guard) {
        if (left == null) {
            throw refused("cannot match a regex against null", guard);
        }
        Object regex = right instanceof Pattern p ? p.pattern() : right;
        return guardedPattern(regex, guard).matcher(new GuardedCharSequence(text(left), guard));
    }

    private static Pattern guardedPattern(Object regex, Guard guard) {
        if (!(regex instanceof CharSequence) && !(regex instanceof Pattern)) {
            throw refused("a regex must be a string, not " + Allowlist.describe(regex), guard);
        }
        String source = regex instanceof Pattern p ? p.pattern() : text(regex);
        guard.checkStringLength(source.length());
        return Pattern.compile(source);
    }

    private static void putChecked(Map<?, ?> map, Object key, Object value, Guard guard) {
        guard.checkCollectionSize(map.size() + 1L);
        @SuppressWarnings("unchecked")
        Map<Object, Object> target = (Map<Object, Object>) map;
        target.put(key instanceof GString ? text(key) : key, value);
    }

    private static int sizeOf(Object value) {
        if (value instanceof Collection<?> c) {
            return c.size();
        } else if (value instanceof Map<?, ?> m) {
            return m.size();
        } else if (value != null && value.getClass().isArray()) {
            return java.lang.reflect.Array.getLength(value);
        }
        return 0;
    }

    private static Object arg(Object[] args, int index) {
        return index < args.length ? args[index] : null;
    }

    private static long longArg(Object[] args, int index, Guard guard) {
        if (arg(args, index) instanceof Number n) {
            return Math.max(0, n.longValue());
        }
        throw refused("expected a number as argument " + (index + 1), guard);
    }

    private static long renderedLength(Object value, Guard guard) {
        return renderedLength(value, guard.limits().maxStringLength(), 0, new IdentityHashMap<>());
    }

    /** How long {@code value}'s string form is, stopping as soon as it is known to be over {@code budget}. */
    private static long renderedLength(Object value, long budget, int depth, IdentityHashMap<Object, Boolean> seen) {
        if (depth > 200) {
            throw new LimitExceededException("a value is nested more than 200 levels deep", 0, 0);
        }
        if (value == null) {
            return 4;
        } else if (value instanceof String s) {
            return s.length();
        } else if (value instanceof GString g) {
            long total = 0;
            for (String part : g.getStrings()) {
                total += part.length();
            }
            for (Object v : g.getValues()) {
                total += renderedLength(v, budget - total, depth + 1, seen);
                if (total > budget) {
                    return total;
                }
            }
            return total;
        } else if (value instanceof Collection<?> || value instanceof Map<?, ?> || value.getClass().isArray()) {
            if (seen.put(value, Boolean.TRUE) != null) {
                return 20;
            }
            Iterable<?> items = value instanceof Map<?, ?> m ? m.entrySet()
                    : value instanceof Collection<?> c ? c : InvokerHelper.asList(value);
            long total = 2;
            for (Object item : items) {
                total += 2 + (item instanceof Map.Entry<?, ?> e
                        ? renderedLength(e.getKey(), budget, depth + 1, seen) + 1
                        + renderedLength(e.getValue(), budget, depth + 1, seen)
                        : renderedLength(item, budget - total, depth + 1, seen));
                if (total > budget) {
                    return total;
                }
            }
            seen.remove(value);
            return total;
        } else if (value instanceof Closure<?>) {
            return 64;
        }
        return String.valueOf(value).length();
    }

    private static String shortText(Object value) {
        String s = String.valueOf(value);
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static SandboxException refused(String message, Guard guard) {
        return new SandboxException(message, guard.line(), guard.column());
    }
}
