package dev.imagebake.importer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Values as plain Java objects, for a variables file. */
final class Literals {
    private Literals() {
    }

    static Object plain(Val v) {
        if (v instanceof Val.Lit l) {
            return l.value();
        }
        if (v instanceof Val.Lst l) {
            List<Object> out = new ArrayList<>();
            l.items().forEach(i -> out.add(plain(i)));
            return out;
        }
        if (v instanceof Val.Obj o) {
            Map<String, Object> out = new LinkedHashMap<>();
            o.entries().forEach((k, i) -> out.put(k, plain(i)));
            return out;
        }
        return v.groovy();
    }
}
