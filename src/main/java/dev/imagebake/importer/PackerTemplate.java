package dev.imagebake.importer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A Packer template as read from JSON or HCL2, before it is written as imagebake's Groovy. */
final class PackerTemplate {
    /** A declared variable; {@code value} null when it has no default (it is then required). */
    record Variable(String name, Val value, String type, String description, boolean sensitive, Loc at) {
    }

    /** A local value: {@code locals { name = ... }} in HCL. */
    record Local(String name, Val value, Loc at) {
    }

    /** A {@code build}: the sources it builds and its steps. */
    static final class Build {
        final Loc at;
        /** Source references as written ({@code source.azure-arm.base}, {@code azure-arm.base}) or refinements. */
        final List<Block> sources = new ArrayList<>();
        final List<Block> provisioners = new ArrayList<>();
        final List<Block> errorCleanup = new ArrayList<>();
        final List<Block> postProcessors = new ArrayList<>();

        Build(Loc at) {
            this.at = at;
        }
    }

    /** The folder relative paths of the template are resolved against (Packer's working folder). */
    final Path folder;
    final boolean json;
    final List<Variable> variables = new ArrayList<>();
    final List<Local> locals = new ArrayList<>();
    /** Every source or builder block; labels {@code [source, TYPE, NAME]}. */
    final List<Block> sources = new ArrayList<>();
    final List<Build> builds = new ArrayList<>();
    /** Values from {@code *.pkrvars.hcl} files that Packer reads only with {@code -var-file}. */
    final Map<String, Object> varFileValues = new LinkedHashMap<>();
    /** Problems found while reading, at their place. */
    final List<Todo> todos = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    /** The source text of each file read, by the name messages give it. */
    final Map<String, String> texts = new LinkedHashMap<>();

    PackerTemplate(Path folder, boolean json) {
        this.folder = folder;
        this.json = json;
    }
}
