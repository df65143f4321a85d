package dev.imagebake.testsupport

import dev.imagebake.dsl.TemplateEvaluator
import dev.imagebake.dsl.VariableInputs
import dev.imagebake.dsl.sandbox.Limits
import dev.imagebake.repl.Repl

import java.nio.file.Path

/** Drives the REPL through piped streams on a dumb terminal, as a script would, and keeps what it printed. */
class ReplRun {
    final int code
    final String out

    ReplRun(int code, String out) {
        this.code = code
        this.out = out
    }

    static ReplRun repl(Path folder, String input, Map<String, String> vars = [:], Path template = null,
                        Path cloudFile = null) {
        repl(folder, input, Limits.DEFAULT, vars, template, cloudFile)
    }

    /** As above, under other limits (a short CPU-time limit for evaluations that must be stopped). */
    static ReplRun repl(Path folder, String input, Limits limits, Map<String, String> vars = [:], Path template = null,
                        Path cloudFile = null) {
        def inputs = new VariableInputs.Builder([:])
        vars.each { k, v -> inputs.put(k, v, '-var') }
        def out = new ByteArrayOutputStream()
        def terminal = Repl.dumbTerminal(new ByteArrayInputStream(input.getBytes('UTF-8')), out)
        int code
        try {
            code = new Repl(terminal, new Repl.Settings(new TemplateEvaluator(limits), inputs.build(), folder,
                    folder.resolve('history'), false,
                    new dev.imagebake.builder.azure.AzureOptions(cloudFile, null, [:], false))).run(template)
        } finally {
            terminal.close()
        }
        new ReplRun(code, out.toString('UTF-8'))
    }

    /** What it printed, line by line, without the prompts in front. */
    List<String> lines() {
        out.readLines()*.replaceFirst(/^(${Repl.PROMPT_TEXT})+/, '')
    }

    String toString() { "exit ${code}\n${out}" }
}
