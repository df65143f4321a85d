package dev.imagebake.cli;

import dev.imagebake.dsl.EvaluationResult;
import dev.imagebake.dsl.TemplateEvaluator;
import dev.imagebake.dsl.TemplateSource;
import dev.imagebake.dsl.VariableInputs;
import dev.imagebake.dsl.sandbox.Limits;
import dev.imagebake.plan.PlanJson;
import dev.imagebake.plan.PlanRenderer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * A hidden command the launcher runs once per build to record a start-up cache: it exercises validate and plan
 * (compiling, evaluating and rendering every example), import (of the example Packer templates) and the help text, in
 * one JVM, and loads what `build` needs before it connects.
 */
@Command(name = "train", hidden = true)
final class TrainCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR")
    Path examples;

    @Override
    public Integer call() throws IOException {
        List<Path> templates;
        try (Stream<Path> files = Files.list(examples)) {
            templates = files.filter(p -> p.toString().endsWith(".imagebake.groovy")).sorted().toList();
        }
        PrintStream sink = new PrintStream(java.io.OutputStream.nullOutputStream());
        Main.run(sink, sink, "--help");
        Main.run(sink, sink, "validate", "--help");
        // Twice each: the first run compiles and fills a throw-away cache, the second loads from it.
        Path cacheFolder = Files.createTempDirectory("imagebake-train-");
        TemplateEvaluator evaluator = new TemplateEvaluator(Limits.DEFAULT, java.time.Clock.systemUTC(),
                dev.imagebake.dsl.TemplateCache.at(cacheFolder, "train", warning -> { }));
        for (Path template : templates) {
            evaluator.evaluate(TemplateSource.read(template), VariableInputs.NONE, sink);
            EvaluationResult result = evaluator.evaluate(TemplateSource.read(template),
                    new VariableInputs.Builder(System.getenv()).put("host", "192.0.2.10", "-var").build(), sink);
            if (result.ok()) {
                sink.print(PlanRenderer.render(result.plan()));
                sink.print(PlanJson.render(result.plan()));
            }
            Main.run(sink, sink, "validate", "-var", "unknown=1", template.toString());
        }
        // imagebake import: the Packer templates bundled with the examples (HCL2 and JSON readers, the writer, and
        // the evaluation of the result).
        Path packer = examples.resolve("packer");
        if (Files.isDirectory(packer)) {
            try (Stream<Path> files = Files.list(packer)) {
                for (Path template : files.filter(p -> p.toString().endsWith(".pkr.hcl") || p.toString().endsWith(".json"))
                        .sorted().toList()) {
                    Main.run(sink, sink, "import", "--check", template.toString());
                    Main.run(sink, sink, "import", "--check", template.toString());
                }
            }
        }
        // build (which starts from this cache on Java 25+): its options and the SSH client's algorithm tables.
        Main.run(sink, sink, "build", "--help");
        new net.schmizz.sshj.SSHClient(new net.schmizz.sshj.DefaultConfig()).getTransport();
        try (Stream<Path> files = Files.walk(cacheFolder)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        return ExitCodes.OK;
    }
}
