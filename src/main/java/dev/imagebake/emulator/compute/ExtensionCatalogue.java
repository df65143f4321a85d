package dev.imagebake.emulator.compute;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The VM extension handlers the emulator runs: Microsoft.Azure.Extensions/CustomScript (version 2) and
 * Microsoft.CPlat.Core/RunCommandLinux (the handler behind run command), with the versions its catalogue lists.
 */
final class ExtensionCatalogue {
    /** One extension type of a publisher, its versions oldest first. */
    record Handler(String publisher, String type, List<String> versions) {
        /** {@code publisher.type}, as instance views name it. */
        String fullType() {
            return publisher + "." + type;
        }

        /**
         * The version a {@code typeHandlerVersion} ("2.1", "2.0", "2") runs: the newest with that major and minor,
         * or with that major alone when minor versions may be upgraded.
         */
        Optional<String> resolve(String requested, boolean autoUpgradeMinor) {
            String[] parts = requested.strip().split("\\.");
            if (parts.length == 0 || !parts[0].matches("\\d+")) {
                return Optional.empty();
            }
            String prefix = autoUpgradeMinor || parts.length == 1 ? parts[0] + "." : parts[0] + "." + parts[1] + ".";
            return versions.stream().filter(v -> v.startsWith(prefix)).reduce((a, b) -> b);
        }
    }

    static final Handler CUSTOM_SCRIPT = new Handler("Microsoft.Azure.Extensions", "CustomScript",
            List.of("2.0.6", "2.0.7", "2.1.6", "2.1.7", "2.1.8", "2.1.9", "2.1.10"));
    static final Handler RUN_COMMAND = new Handler("Microsoft.CPlat.Core", "RunCommandLinux",
            List.of("1.0.3", "1.0.4", "1.0.5"));
    static final List<Handler> HANDLERS = List.of(CUSTOM_SCRIPT, RUN_COMMAND);

    private ExtensionCatalogue() {
    }

    static List<String> publishers() {
        return HANDLERS.stream().map(Handler::publisher).distinct().toList();
    }

    static List<Handler> types(String publisher) {
        return HANDLERS.stream().filter(h -> h.publisher().equalsIgnoreCase(publisher)).toList();
    }

    static Optional<Handler> handler(String publisher, String type) {
        return HANDLERS.stream().filter(h -> h.publisher().equalsIgnoreCase(publisher)
                && h.type().toLowerCase(Locale.ROOT).equals(type.toLowerCase(Locale.ROOT))).findFirst();
    }
}
