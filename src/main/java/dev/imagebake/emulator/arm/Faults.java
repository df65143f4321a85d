package dev.imagebake.emulator.arm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The faults armed in a running emulator, each with how many matching requests it still applies to. Faults are
 * tried in the order they were added; the first one that matches a request (and has uses left) takes it.
 */
public final class Faults {
    private final List<Armed> armed = new CopyOnWriteArrayList<>();

    public Faults(List<FaultSpec> specs) {
        specs.forEach(this::add);
    }

    public void add(FaultSpec spec) {
        armed.add(new Armed(spec, new AtomicInteger(spec.count())));
    }

    /** Specs with uses left, as written, with the number left ({@code *} for unlimited). */
    public List<String> describe() {
        return armed.stream().filter(a -> a.left.get() != 0)
                .map(a -> a.spec.text() + " (" + (a.left.get() < 0 ? "*" : a.left.get()) + " left)").toList();
    }

    /**
     * The fault that takes this request, using one of its uses, or {@code null}.
     *
     * @param answering {@code true} for status faults (checked before the request is handled), {@code false} for
     *                  operation faults (checked once the request started an operation)
     */
    public FaultSpec take(String method, ArmPath path, String rawPath, boolean answering) {
        for (Armed fault : armed) {
            if (fault.spec.answersRequest() == answering && fault.spec.matches(method, path, rawPath)
                    && fault.use()) {
                return fault.spec;
            }
        }
        return null;
    }

    /**
     * The status fault that takes a request outside Resource Manager (sign-in), using one of its uses, or
     * {@code null}. Only path globs aim there: a resource type, even {@code *}, names Resource Manager requests.
     */
    public FaultSpec takeOutsideArm(String method, String rawPath) {
        for (Armed fault : armed) {
            if (fault.spec.answersRequest() && fault.spec.glob() != null
                    && fault.spec.matches(method, ArmPath.parse(rawPath), rawPath) && fault.use()) {
                return fault.spec;
            }
        }
        return null;
    }

    private record Armed(FaultSpec spec, AtomicInteger left) {
        /** Takes one use; a fault with -1 uses never runs out. */
        boolean use() {
            while (true) {
                int now = left.get();
                if (now == 0) {
                    return false;
                }
                if (now < 0 || left.compareAndSet(now, now - 1)) {
                    return true;
                }
            }
        }
    }
}
