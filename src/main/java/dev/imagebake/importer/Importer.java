package dev.imagebake.importer;

import dev.imagebake.dsl.Diagnostic;
import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.dsl.TemplateEvaluator;
import dev.imagebake.dsl.TemplateSource;
import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.dsl.sandbox.Limits;
import dev.imagebake.util.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code imagebake import}'s core: reads a Packer template (JSON, an HCL2 file or a folder), writes it as an
 * imagebake template and checks the result with imagebake's own evaluator.
 */
public final class Importer {
    /**
     * What an import made.
     *
     * @param groovy   the imagebake template, to-do list included
     * @param todos    the to-do list, one line each ("option at FILE:LINE — why")
     * @param varFile  the values of {@code *.pkrvars.hcl} files as a JSON variables file; null when there are none
     */
    public record Result(String groovy, List<String> todos, String varFile) {
        public boolean clean() {
            return todos.isEmpty();
        }
    }

    private static final String STAND_IN = "stand-in-";

    private Importer() {
    }

    /**
     * Imports {@code input}; {@code outDir} is the folder the result will be written to (relative paths are rebased
     * to it).
     */
    public static Result run(Path input, Path outDir) throws IOException, UnreadableTemplateException {
        if (!Files.exists(input)) {
            throw new UnreadableTemplateException(input + ": no such file or folder");
        }
        boolean json = Files.isRegularFile(input) && (input.toString().endsWith(".json")
                || !input.toString().endsWith(".hcl") && Files.readString(input).stripLeading().startsWith("{"));
        PackerTemplate template = json ? JsonReader.read(input) : HclReader.read(input);
        if (template.sources.stream().noneMatch(s -> "azure-arm".equals(s.label(1)))) {
            throw new UnreadableTemplateException(input + ": no azure-arm source or builder to import");
        }
        Path out = outDir.toAbsolutePath().normalize();
        GroovyWriter writer = new GroovyWriter(template, out);
        String body = writer.write(input.getFileName().toString());
        List<Todo> todos = new ArrayList<>(template.todos);
        todos.addAll(writer.todos);
        List<String> list = new ArrayList<>();
        todos.stream().map(Todo::line).distinct().forEach(list::add);
        for (Diagnostic d : evaluate(body, out, template)) {
            if (d.message().contains(STAND_IN)) {
                continue; // caused by a stand-in value, not by the import: the real value comes at build time
            }
            list.add("the imported template, line " + d.at().line() + ": " + d.message());
        }
        StringBuilder text = new StringBuilder(body);
        if (!list.isEmpty()) {
            text.append("\n// To do before this template builds what the Packer template built:\n");
            list.forEach(l -> text.append("//   - ").append(l).append('\n'));
        }
        String varFile = template.varFileValues.isEmpty() ? null : Json.write(template.varFileValues);
        return new Result(text.toString(), List.copyOf(list), varFile);
    }

    /**
     * Evaluates the result as {@code validate} would, with a stand-in value for each required variable (the values
     * come at build time, from -var or a variables file).
     */
    private static List<Diagnostic> evaluate(String groovy, Path folder, PackerTemplate template) {
        VariableInputs.Builder inputs = new VariableInputs.Builder(Map.of());
        for (PackerTemplate.Variable v : template.variables) {
            if (v.value() == null) {
                Object standIn = template.varFileValues.containsKey(v.name()) ? template.varFileValues.get(v.name())
                        : switch (v.type() == null ? "string" : v.type()) {
                            case "number" -> 1L;
                            case "bool" -> false;
                            case "list" -> List.of();
                            case "map" -> Map.of();
                            default -> STAND_IN + v.name();
                        };
                inputs.put(v.name(), standIn, "import");
            }
        }
        // A fixed instant: the to-do list (which quotes values made with timestamp()) is the same on every run.
        TemplateEvaluator evaluator = new TemplateEvaluator(Limits.DEFAULT.withTimeout(Duration.ofSeconds(20)),
                java.time.Clock.fixed(java.time.Instant.parse("2000-01-01T00:00:00Z"), java.time.ZoneOffset.UTC));
        EvaluationResult result = evaluator.evaluate(new TemplateSource("imported.imagebake.groovy", folder, groovy),
                inputs.build(), new StringBuilder());
        return result.ok() ? List.of() : result.diagnostics();
    }
}
