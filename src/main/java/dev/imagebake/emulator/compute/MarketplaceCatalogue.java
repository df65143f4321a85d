package dev.imagebake.emulator.compute;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The emulator's small slice of the Azure Marketplace: a few Linux publishers, offers, SKUs and versions, the same
 * in every region. It holds what the builder's templates use, and the images behind the Azure CLI 2.45 aliases
 * ({@code UbuntuLTS}, {@code Debian}) which the CLI resolves from its own bundled alias file.
 */
public final class MarketplaceCatalogue {
    /**
     * One SKU of an offer. {@code versions} are oldest first; the last is what {@code latest} resolves to.
     */
    public record Sku(String publisher, String offer, String name, String hyperVGeneration, int osDiskSizeGb,
                      List<String> versions) {
        public String latest() {
            return versions.get(versions.size() - 1);
        }
    }

    private static final List<Sku> SKUS = List.of(
            new Sku("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts", "V1", 30,
                    List.of("22.04.202501230", "22.04.202502060")),
            new Sku("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", "V2", 30,
                    List.of("22.04.202501230", "22.04.202502060")),
            new Sku("Canonical", "0001-com-ubuntu-server-focal", "20_04-lts", "V1", 30,
                    List.of("20.04.202501220", "20.04.202502040")),
            new Sku("Canonical", "0001-com-ubuntu-server-focal", "20_04-lts-gen2", "V2", 30,
                    List.of("20.04.202501220", "20.04.202502040")),
            new Sku("Canonical", "ubuntu-24_04-lts", "server", "V2", 30,
                    List.of("24.04.202501140", "24.04.202502210")),
            new Sku("Canonical", "UbuntuServer", "18.04-LTS", "V1", 30,
                    List.of("18.04.202305220", "18.04.202306070")),
            new Sku("Debian", "debian-10", "10", "V1", 30,
                    List.of("0.20230802.1460", "0.20240430.1733")),
            new Sku("Debian", "debian-12", "12-gen2", "V2", 30,
                    List.of("0.20250113.1978", "0.20250210.2019")),
            new Sku("RedHat", "RHEL", "9_4", "V1", 64,
                    List.of("9.4.2024061415", "9.4.2024111416")));

    private MarketplaceCatalogue() {
    }

    /** The SKU, matching names as Azure does (ignoring case). */
    public static Optional<Sku> sku(String publisher, String offer, String sku) {
        return SKUS.stream().filter(s -> s.publisher.equalsIgnoreCase(publisher) && s.offer.equalsIgnoreCase(offer)
                && s.name.equalsIgnoreCase(sku)).findFirst();
    }

    /** The exact version for {@code version} ({@code latest} or one the SKU has), or empty when there is none. */
    public static Optional<String> exactVersion(String publisher, String offer, String sku, String version) {
        return sku(publisher, offer, sku).flatMap(s -> version.equalsIgnoreCase("latest") ? Optional.of(s.latest())
                : s.versions.stream().filter(v -> v.equalsIgnoreCase(version)).findFirst());
    }

    /** Publisher names, as the first SKU of each spells them. */
    public static List<String> publishers() {
        return SKUS.stream().map(Sku::publisher).distinct().toList();
    }

    public static List<String> offers(String publisher) {
        return SKUS.stream().filter(s -> s.publisher.equalsIgnoreCase(publisher)).map(Sku::offer).distinct()
                .toList();
    }

    public static List<String> skus(String publisher, String offer) {
        return SKUS.stream().filter(s -> s.publisher.equalsIgnoreCase(publisher) && s.offer.equalsIgnoreCase(offer))
                .map(Sku::name).toList();
    }

    /** Orders versions like {@code 18.04.202306070} by their numeric parts, as Azure's {@code $orderby=name}. */
    public static final Comparator<String> VERSION_ORDER = (a, b) -> {
        long[] x = parts(a);
        long[] y = parts(b);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = Long.compare(x[i], y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    };

    private static long[] parts(String version) {
        return Arrays.stream(version.toLowerCase(Locale.ROOT).split("\\."))
                .mapToLong(p -> p.matches("\\d{1,18}") ? Long.parseLong(p) : 0).toArray();
    }
}
