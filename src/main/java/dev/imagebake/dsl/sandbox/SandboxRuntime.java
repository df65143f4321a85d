package dev.imagebake.dsl.sandbox;

import groovy.lang.Closure;
import groovy.lang.GString;
import groovy.lang.Range;
import org.codehaus.groovy.runtime.FormatHelper;
import org.codehaus.groovy.runtime.GStringImpl;
import org.codehaus.groovy.runtime.InvokerHelper;
import org.codehaus.groovy.runtime.ScriptBytecodeAdapter;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The only door from template code to the rest of the JVM. {@link CallRewriter} turns every method call, property
 * access, index, operator, conversion, literal collection, GString and name lookup of a template into a call to one
 * of these methods, which checks it against the {@link Allowlist} and the {@link Guard}'s limits before doing it.
 *
 * <p>Two rules keep host code from running long unchecked on template data: every collection template code holds
 * is a guarded one ({@link GuardedList}, {@link GuardedMap}, {@link GuardedSet}; plain collections coming back from
 * host code are converted), and collections from outside the template (variables) are read-only.
 */
public final class SandboxRuntime {
    private SandboxRuntime() {
    }

    // ---- names without a receiver ------------------------------------------------------------------------------

    public static Object callImplicit(Object self, Object name, List<?> args, int line, int column) {
        Guard guard = enter(line, column);
        String method = methodName(name, guard);
        Object[] values = args.toArray();
        for (Object value : values) {
            checkHandedOver(method, value, guard);
        }
        return adopt(scope(self).call(method, values), guard);
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

    /** At the start of every loop iteration and of the template's body. */
    public static void checkpoint(int line, int column) {
        enter(line, column);
    }

    /** At the start of every template function and closure; {@link #leaveFunction()} runs when it ends. */
    public static void enterFunction() {
        Guard.current().enter();
    }

    public static void leaveFunction() {
        Guard.current().leave();
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
            return spread(receiver, guard, item -> derived(property(item, property, true, guard), guard, item));
        }
        return derived(property(receiver, property, safe, guard), guard, receiver);
    }

    public static Object setProperty(Object receiver, Object name, Object value, boolean safe, int line, int column) {
        Guard guard = enter(line, column);
        String property = methodName(name, guard);
        if (receiver == null && safe) {
            return null;
        }
        if (receiver instanceof Map<?, ?> map) {
            checkWritable(map, "set `" + property + "` on", guard);
            putChecked(map, property, value, guard);
            guard.taint().stored(map, value);
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
        return index(receiver, index, guard);
    }

    public static Object putAt(Object receiver, Object index, Object value, int line, int column) {
        Guard guard = enter(line, column);
        return putIndex(receiver, index, value, guard);
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
            case ">>>" -> invoke(left, "rightShiftUnsigned", new Object[] {right}, false, guard);
            case "&" -> invoke(left, "and", new Object[] {right}, false, guard);
            case "|" -> invoke(left, "or", new Object[] {right}, false, guard);
            case "^" -> invoke(left, "xor", new Object[] {right}, false, guard);
            case "=~" -> guard.taint().propagate(StringMethods.matcher(left, right, guard), true, guard, left, right);
            case "==~" -> StringMethods.matcher(left, right, guard).matches();
            case "in" -> isCase(right, left, guard);
            case "!in" -> !isCase(right, left, guard);
            case "==", "!=", "<", "<=", ">", ">=", "<=>" -> compare(operator, left, right, guard);
            default -> throw refused("the operator " + operator + " is not available in templates", guard);
        };
    }

    /**
     * {@code -x}, {@code +x} and {@code ~x}: a number's negative, itself, or bitwise complement; {@code ~'regex'}
     * is a regex pattern (compiled, not yet run: matching reads through a guarded input).
     */
    public static Object unary(String operator, Object value, int line, int column) {
        Guard guard = enter(line, column);
        if (operator.equals("~") && Allowlist.kindOf(value) == Allowlist.Kind.STRING) {
            return Pattern.compile(text(value));
        }
        if (operator.equals("~") && value instanceof Pattern) {
            return value;
        }
        boolean whole = value instanceof Integer || value instanceof Long || value instanceof BigInteger
                || value instanceof Short || value instanceof Byte;
        if (!(value instanceof Number n) || (operator.equals("~") && !whole)) {
            throw refused("the operator " + operator + " needs " + (operator.equals("~")
                    ? "a whole number or a string" : "a number") + ", not " + Allowlist.describe(value), guard);
        }
        NumberMethods.check(n, guard);
        return switch (operator) {
            case "-" -> InvokerHelper.unaryMinus(n);
            case "+" -> n;
            case "~" -> InvokerHelper.bitwiseNegate(n);
            default -> throw refused("the operator " + operator + " is not available in templates", guard);
        };
    }

    private static Object compare(String operator, Object left, Object right, Guard guard) {
        for (Object operand : new Object[] {left, right}) {
            if (operand instanceof Number n) {
                NumberMethods.check(n, guard);
            }
        }
        checkComparedChars(operator, left, right, guard);
        return switch (operator) {
            case "==" -> ScriptBytecodeAdapter.compareEqual(left, right);
            case "!=" -> ScriptBytecodeAdapter.compareNotEqual(left, right);
            case "<" -> ScriptBytecodeAdapter.compareLessThan(left, right);
            case "<=" -> ScriptBytecodeAdapter.compareLessThanEqual(left, right);
            case ">" -> ScriptBytecodeAdapter.compareGreaterThan(left, right);
            case ">=" -> ScriptBytecodeAdapter.compareGreaterThanEqual(left, right);
            default -> ScriptBytecodeAdapter.compareTo(left, right);
        };
    }

    /** {@code ++x} and {@code --x} (and the new value of {@code x++}): {@code next} or {@code previous}. */
    public static Object step(Object value, String method, int line, int column) {
        Guard guard = enter(line, column);
        return invoke(value, method, new Object[0], false, guard);
    }

    /** The value of {@code x++}: the old value, after the second argument has assigned the new one. */
    public static Object before(Object oldValue, Object assignment) {
        return oldValue;
    }

    public static Object range(Object from, Object to, boolean exclusiveLeft, boolean exclusiveRight, int line,
                               int column) throws Throwable {
        Guard guard = enter(line, column);
        if (from instanceof Number f && to instanceof Number t) {
            NumberMethods.check(f, guard);
            NumberMethods.check(t, guard);
            for (Number end : new Number[] {f, t}) {
                if ((end instanceof Double || end instanceof Float) && !Double.isFinite(end.doubleValue())) {
                    throw refused("a range cannot start or end at " + end + ": it would never end", guard);
                }
            }
            guard.checkCollectionSize(rangeSize(f, t));
        } else if (!(from instanceof String && to instanceof String)) { // Groovy bounds string ranges itself
            throw refused("a range needs numbers or strings, not " + Allowlist.describe(from) + " and "
                    + Allowlist.describe(to), guard);
        }
        return ScriptBytecodeAdapter.createRange(from, to, exclusiveLeft, exclusiveRight);
    }

    /** How many items a range from {@code f} to {@code t} has, exactly (saturating at Long.MAX_VALUE). */
    private static long rangeSize(Number f, Number t) {
        BigDecimal span = new BigDecimal(t.toString()).subtract(new BigDecimal(f.toString())).abs();
        BigInteger size = span.toBigInteger().add(BigInteger.ONE);
        return size.bitLength() < 64 ? size.longValue() : Long.MAX_VALUE;
    }

    // ---- values the template builds ----------------------------------------------------------------------------

    /** A list literal. */
    public static Object list(List<?> items, int line, int column) {
        Guard guard = enter(line, column);
        guard.checkCollectionSize(items.size());
        return guard.taint().built(new GuardedList(items));
    }

    /** A map literal (also the named arguments of a call). */
    public static Object map(Map<?, ?> entries, int line, int column) {
        Guard guard = enter(line, column);
        guard.checkCollectionSize(entries.size());
        return guard.taint().built(new GuardedMap(entries));
    }

    /**
     * A GString, turned into a String at once, under the string limit. A lazy GString could be rendered later by
     * host code with no limit, and grow with the lists it refers to.
     */
    public static Object gstring(List<String> strings, List<?> values, int line, int column) {
        Guard guard = enter(line, column);
        Object[] resolved = values.toArray();
        for (int i = 0; i < resolved.length; i++) {
            if (resolved[i] instanceof Closure<?> closure) {
                if (closure.getMaximumNumberOfParameters() > 0) {
                    throw refused("a closure inside a GString takes no parameters in a template: "
                            + "write \"${-> value}\"", guard);
                }
                resolved[i] = closure.call();
            }
        }
        return guard.taint().propagate(text(new GStringImpl(resolved, strings.toArray(new String[0]))), false, guard,
                resolved);
    }

    /**
     * A conversion: {@code x as T}, {@code (T) x}, and the implicit ones of typed variables and typed function
     * results. Conversions that would generate a class (a closure or map turned into an interface or class) are
     * refused; text conversions are bounded; collections come out guarded.
     */
    public static Object cast(Object value, Class<?> type, boolean coerce, int line, int column) {
        Guard guard = enter(line, column);
        if (value == null || type == Object.class) {
            return value;
        }
        if (type == String.class || type == CharSequence.class) {
            return text(value);
        }
        if (type == GString.class) {
            return new GStringImpl(new Object[0], new String[] {text(value)});
        }
        if (generatesClass(value, type)) {
            throw refused(Allowlist.describe(value) + " cannot be turned into `" + type.getSimpleName()
                    + "` in a template", guard);
        }
        if (value instanceof Number n) {
            NumberMethods.check(n, guard);
        } else if (value instanceof CharSequence text && Number.class.isAssignableFrom(boxed(type))) {
            NumberMethods.checkParse(text, guard);
        }
        try {
            return derived(coerce ? ScriptBytecodeAdapter.asType(value, type)
                    : ScriptBytecodeAdapter.castToType(value, type), guard, value);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Whether Groovy would convert by generating a proxy class: a closure or map turned into anything it is not (but
     * a boolean or primitive), or any value turned into an interface or abstract class it does not implement (other
     * than a list or set made from the items of a collection, array or string).
     */
    private static boolean generatesClass(Object value, Class<?> type) {
        if (type.isInstance(value) || type.isPrimitive() || type == Boolean.class) {
            return false; // primitive classes report themselves abstract
        }
        if (value instanceof Closure<?> || value instanceof Map<?, ?>) {
            return true;
        }
        boolean fromItems = (type == List.class || type == Set.class || type == Collection.class)
                && (value instanceof Collection<?> || value instanceof CharSequence || value.getClass().isArray());
        return (type.isInterface() || java.lang.reflect.Modifier.isAbstract(type.getModifiers())) && !fromItems;
    }

    /** The items of a {@code for (T x in items)} loop, each converted like {@link #cast} before Groovy's own cast. */
    public static Object typedItems(Object items, Class<?> type, int line, int column) {
        Guard guard = enter(line, column);
        Iterator<?> source = InvokerHelper.asIterator(items);
        return new Iterator<Object>() {
            @Override
            public boolean hasNext() {
                return source.hasNext();
            }

            @Override
            public Object next() {
                Object item = source.next();
                guard.checkpoint();
                return cast(item, type, false, guard.line(), guard.column());
            }
        };
    }

    /** The right side of {@code def (a, b) = value}: its first {@code count} items, by position. */
    public static Object destructure(Object value, int count, int line, int column) {
        Guard guard = enter(line, column);
        GuardedList items = new GuardedList();
        for (int i = 0; i < count; i++) {
            Object item = null;
            if (value instanceof List<?> list) {
                item = i < list.size() ? list.get(i) : null;
            } else if (value instanceof CharSequence || (value != null && value.getClass().isArray())) {
                item = index(value, i, guard);
            } else if (value != null) {
                throw refused("only a list can be split into several names, not " + Allowlist.describe(value),
                        guard);
            }
            items.add(adopt(item, guard));
        }
        return items;
    }

    /** A value's text, refused when it would be over the string limit; computed without building anything larger. */
    public static String text(Object value) {
        Guard guard = Guard.current();
        guard.checkStringLength(renderedLength(value, guard));
        return value == null ? "null" : (String) guard.taint().propagate(FormatHelper.toString(value), false, guard,
                value);
    }

    /** For the guarded collections' toString: refuses text over the limit when an evaluation runs. */
    static void checkRenderable(Object value) {
        Guard guard = Guard.currentOrNull();
        if (guard != null) {
            guard.checkStringLength(renderedLength(value, guard));
        }
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

    /**
     * Values handed to keywords can end up in the plan, which host code walks later with no guard: a value that
     * shares one list many times over would make that walk endless. Bounds the walk now.
     */
    private static void checkHandedOver(String keyword, Object value, Guard guard) {
        if (value instanceof Collection<?> || value instanceof Map<?, ?>) {
            long length = renderedLength(value, guard);
            if (length > guard.limits().maxStringLength()) {
                throw new LimitExceededException("the value given to `" + keyword + "` would be " + length
                        + " characters as text, over the limit of " + guard.limits().maxStringLength(),
                        guard.line(), guard.column());
            }
        }
    }

    private interface ItemAction {
        Object apply(Object item);
    }

    private static Object spread(Object receiver, Guard guard, ItemAction action) {
        if (receiver == null) {
            return null;
        }
        Collection<?> items = receiver instanceof Collection<?> c ? c
                : receiver.getClass().isArray() ? InvokerHelper.asList(receiver) : null;
        if (items == null) {
            throw refused("the spread operator *. needs a list, not " + Allowlist.describe(receiver), guard);
        }
        GuardedList results = new GuardedList();
        for (Object item : items) {
            results.add(adopt(action.apply(item), guard));
        }
        return guard.taint().built(results);
    }

    static Object invoke(Object receiver, String method, Object[] args, boolean safe, Guard guard) {
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
        if (receiver instanceof Number n) {
            NumberMethods.check(n, guard);
        }
        for (Object arg : args) {
            if (arg instanceof Number n) {
                NumberMethods.check(n, guard);
            }
        }
        Object target = receiver instanceof GString ? text(receiver) : receiver;
        if (method.equals("toString")) {
            return text(target);
        }
        if (method.equals("getAt") && args.length == 1) {
            return index(target, args[0], guard);
        }
        if (method.equals("putAt") && args.length == 2) {
            return putIndex(target, args[0], args[1], guard);
        }
        boolean mutates = Allowlist.mutates(kind, method, args);
        if (mutates) {
            checkWritable(target, "call `" + method + "` on", guard);
        }
        Object result = switch (kind) {
            case STRING -> StringMethods.call((String) target, method, args, guard);
            case COLLECTION, MAP, ARRAY -> CollectionMethods.call(target, method, args, guard);
            case NUMBER -> NumberMethods.call((Number) target, method, args, guard);
            case PATTERN -> ((Pattern) target).pattern();
            default -> InvokerHelper.invokeMethod(target, method, args);
        };
        if (mutates) {
            for (Object arg : args) {
                guard.taint().stored(target, arg);
            }
        }
        Object[] inputs = new Object[args.length + 1];
        inputs[0] = target;
        System.arraycopy(args, 0, inputs, 1, args.length);
        return derived(result, guard, inputs);
    }

    /**
     * {@code receiver[index]}. Only maps take keys: a string, list or array index must be a position, or Groovy
     * would read the property of that name (its class, a closure's owner, private fields) instead.
     */
    private static Object index(Object receiver, Object index, Guard guard) {
        switch (Allowlist.kindOf(receiver)) {
            case MAP -> {
                return derived(((Map<?, ?>) receiver).get(index), guard, receiver, index);
            }
            case STRING, COLLECTION, ARRAY, MATCHER -> {
                if (!isPosition(index)) {
                    throw refused(Allowlist.describe(receiver) + " is indexed by position (a number, a range or a "
                            + "list of them), not by " + Allowlist.describe(index), guard);
                }
                Object target = receiver instanceof GString ? text(receiver) : receiver;
                return derived(InvokerHelper.invokeMethod(target, "getAt", new Object[] {index}), guard, target,
                        index);
            }
            default -> throw refused("cannot index " + Allowlist.describe(receiver), guard);
        }
    }

    private static boolean isPosition(Object index) {
        if (index instanceof Number || index instanceof Range<?>) {
            return true;
        }
        if (index instanceof Collection<?> positions) {
            for (Object p : positions) {
                if (!(p instanceof Number || p instanceof Range<?>)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static Object putIndex(Object receiver, Object index, Object value, Guard guard) {
        if (receiver instanceof Map<?, ?> map) {
            checkWritable(map, "assign an entry of", guard);
            putChecked(map, index, value, guard);
            guard.taint().stored(map, index);
            guard.taint().stored(map, value);
            return value;
        }
        if (receiver instanceof List<?> list) {
            checkWritable(list, "assign an item of", guard);
            if (!isPosition(index)) {
                throw refused("a list is indexed by position (a number or a range), not by "
                        + Allowlist.describe(index), guard);
            }
            if (index instanceof Number n) {
                guard.checkCollectionSize(Math.max(list.size(), Guard.plus(StringMethods.saturated(n), 1)));
            }
            InvokerHelper.invokeMethod(list, "putAt", new Object[] {index, value});
            guard.taint().stored(list, value);
            return value;
        }
        throw refused("cannot assign an index of " + Allowlist.describe(receiver), guard);
    }

    /**
     * Template code may change only collections it built: those from outside (variables) are shared with the
     * plan, and a plain collection could be made to hold itself many times over with no guard on walking it.
     */
    private static void checkWritable(Object collection, String action, Guard guard) {
        if (!(collection instanceof GuardedList || collection instanceof GuardedMap
                || collection instanceof GuardedSet)) {
            throw refused("cannot " + action + " " + Allowlist.describe(collection) + " from outside the template: "
                    + "it is read-only; copy it first, for example `def mine = [] + list` or `def mine = [:] + map`",
                    guard);
        }
    }

    /** Comparing collections compares their items with no checkpoint in between: bound how much text that reads. */
    private static void checkComparedChars(String operator, Object left, Object right, Guard guard) {
        if (left instanceof Collection<?> || left instanceof Map<?, ?> || right instanceof Collection<?>
                || right instanceof Map<?, ?>) {
            long compared = CollectionMethods.comparedChars(left, guard) + CollectionMethods.comparedChars(right, guard);
            if (compared > CollectionMethods.COMPARED_CHARS_LIMIT) {
                throw CollectionMethods.tooMuchToCompare(operator, guard);
            }
        }
    }

    private static boolean isCase(Object caseValue, Object candidate, Guard guard) {
        if (caseValue instanceof Pattern pattern) {
            return candidate != null && StringMethods.matcher(candidate, pattern, guard).matches();
        }
        checkComparedChars("in", candidate, caseValue, guard);
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
                    if (receiver instanceof Range<?> r) {
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
                    return receiver.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
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

    private static void putChecked(Map<?, ?> map, Object key, Object value, Guard guard) {
        guard.checkCollectionSize(map.size() + 1L);
        @SuppressWarnings("unchecked")
        Map<Object, Object> target = (Map<Object, Object>) map;
        target.put(key instanceof GString ? text(key) : key, value);
    }

    /**
     * A value host code computed from {@code inputs}, ready for template code: plain collections adopted, and
     * sensitive wherever an input was (see {@link Taint}).
     */
    private static Object derived(Object raw, Guard guard, Object... inputs) {
        Object adopted = adopt(raw, guard);
        return guard.taint().propagate(adopted, adopted != raw || raw instanceof Object[], guard, inputs);
    }

    /** The plain JDK collections host operations create; template code gets them as guarded copies. */
    private static final Set<Class<?>> PLAIN = Set.of(ArrayList.class, LinkedList.class, HashMap.class,
            LinkedHashMap.class, TreeMap.class, HashSet.class, LinkedHashSet.class, TreeSet.class);

    /**
     * A value coming back from host code, with every plain collection in it (and not already behind a guarded one)
     * replaced by a guarded copy, sharing kept. Views and immutable values are left alone: what is behind them
     * was adopted when it reached the template.
     */
    static Object adopt(Object value, Guard guard) {
        return value != null && PLAIN.contains(value.getClass())
                ? adopt(value, guard, new IdentityHashMap<>()) : value;
    }

    private static Object adopt(Object value, Guard guard, IdentityHashMap<Object, Object> done) {
        if (value == null || !PLAIN.contains(value.getClass())) {
            return value;
        }
        Object copy = done.get(value);
        if (copy != null) {
            return copy;
        }
        if (value instanceof Map<?, ?> map) {
            guard.checkCollectionSize(map.size());
            GuardedMap adopted = new GuardedMap();
            done.put(value, adopted);
            map.forEach((k, v) -> adopted.put(adopt(k, guard, done), adopt(v, guard, done)));
            return adopted;
        }
        Collection<?> items = (Collection<?>) value;
        guard.checkCollectionSize(items.size());
        List<Object> converted = new ArrayList<>(items.size());
        Collection<Object> adopted = value instanceof Set<?> ? new GuardedSet() : new GuardedList();
        done.put(value, adopted);
        for (Object item : items) {
            converted.add(adopt(item, guard, done));
        }
        adopted.addAll(converted);
        return adopted;
    }

    static long renderedLength(Object value, Guard guard) {
        return renderedLength(value, guard, guard.limits().maxStringLength());
    }

    static long renderedLength(Object value, Guard guard, long budget) {
        return renderedLength(value, budget, 0, new IdentityHashMap<>());
    }

    /** As {@link #renderedLength(Object, Guard, long)}, outside an evaluation too. */
    static long renderedLength(Object value, long budget) {
        return renderedLength(value, budget, 0, new IdentityHashMap<>());
    }

    /** How long {@code value}'s string form is, stopping as soon as it is known to be over {@code budget}. */
    private static long renderedLength(Object value, long budget, int depth, IdentityHashMap<Object, Boolean> seen) {
        if (depth > HandOver.MAX_DEPTH) {
            throw new LimitExceededException("a value is nested more than " + HandOver.MAX_DEPTH + " levels deep", 0,
                    0);
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
        } else if (value instanceof Closure<?> || value instanceof TemplateValue) {
            return 64; // not rendered here: a template value's text may be an error of its own
        } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            long n = ((Number) value).longValue();
            return n == Long.MIN_VALUE ? 20 : (n < 0 ? 1 : 0) + digits(Math.abs(n)); // no text built per item
        } else if (value instanceof BigInteger b) {
            return (long) (b.bitLength() / NumberMethods.BITS_PER_DIGIT) + 2; // no need to render a big number
        } else if (value instanceof BigDecimal d) {
            return (long) (d.unscaledValue().bitLength() / NumberMethods.BITS_PER_DIGIT) + 16;
        }
        return String.valueOf(value).length();
    }

    private static int digits(long n) {
        int digits = 1;
        for (long rest = n / 10; rest > 0; rest /= 10) {
            digits++;
        }
        return digits;
    }

    private static Class<?> boxed(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        return type == int.class ? Integer.class : type == long.class ? Long.class : type == double.class
                ? Double.class : type == float.class ? Float.class : type == short.class ? Short.class
                : type == byte.class ? Byte.class : type == char.class ? Character.class : type == boolean.class
                ? Boolean.class : Void.class;
    }

    private static String shortText(Object value) {
        String s = String.valueOf(value);
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    static SandboxException refused(String message, Guard guard) {
        return new SandboxException(message, guard.line(), guard.column());
    }

    static LimitExceededException limit(String message, Guard guard) {
        return new LimitExceededException(message, guard.line(), guard.column());
    }
}
