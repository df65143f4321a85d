package dev.imagebake.dsl;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The keywords of a block: the public instance methods its class (and its superclasses below BlockContext) declare. */
public final class Keywords {
    private static final ClassValue<Set<String>> CACHE = new ClassValue<>() {
        @Override
        protected Set<String> computeValue(Class<?> type) {
            Set<String> names = new TreeSet<>();
            for (Class<?> c = type; c != null && c != BlockContext.class && c != Object.class; c = c.getSuperclass()) {
                for (Method m : c.getDeclaredMethods()) {
                    if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())
                            && !m.isSynthetic()) {
                        names.add(m.getName());
                    }
                }
            }
            return Set.copyOf(names);
        }
    };

    private Keywords() {
    }

    public static Set<String> of(Class<?> block) {
        return CACHE.get(block);
    }

    /** A short signature of every form of a keyword, for error messages. */
    static String usage(Class<?> block, String name) {
        List<String> forms = new ArrayList<>();
        for (Class<?> c = block; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name) && Modifier.isPublic(m.getModifiers())) {
                    List<String> params = new ArrayList<>();
                    for (Parameter p : m.getParameters()) {
                        params.add(p.getType() == groovy.lang.Closure.class ? "{ ... }"
                                : p.getType() == java.util.Map.class ? "name: value, ..."
                                : p.isVarArgs() ? "value, ..." : "value");
                    }
                    forms.add(name + (params.isEmpty() ? "" : " " + String.join(", ", params)));
                }
            }
        }
        return forms.isEmpty() ? name : String.join(" | ", new TreeSet<>(forms));
    }
}
