package dev.imagebake.importer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One block of a Packer template, from HCL or JSON alike: its labels ({@code source azure-arm base}), its
 * attributes in order with where each stands, and nested blocks.
 */
final class Block {
    final List<String> labels;
    final Loc at;
    final Map<String, Val> attrs = new LinkedHashMap<>();
    final Map<String, Loc> locs = new LinkedHashMap<>();
    final List<Block> blocks = new ArrayList<>();

    Block(List<String> labels, Loc at) {
        this.labels = labels;
        this.at = at;
    }

    String type() {
        return labels.get(0);
    }

    String label(int i) {
        return labels.size() > i ? labels.get(i) : null;
    }

    void put(String name, Val value, Loc loc) {
        attrs.put(name, value);
        locs.put(name, loc);
    }

    Loc loc(String name) {
        return locs.getOrDefault(name, at);
    }

    List<Block> blocks(String type) {
        return blocks.stream().filter(b -> b.type().equals(type)).toList();
    }
}
