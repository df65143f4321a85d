package dev.imagebake.cli;

import dev.imagebake.importer.Importer;
import dev.imagebake.importer.UnreadableTemplateException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code imagebake import}: a Packer azure-arm template (JSON or HCL2) as an imagebake template. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Write a Packer azure-arm template (a JSON file, an HCL2 file, or a folder of *.pkr.hcl with "
                + "*.pkrvars.hcl) as an imagebake template. What has no equivalent is kept as a TODO(import) "
                + "comment and listed at the end and on standard error.",
        footerHeading = "%nExit codes:%n",
        footer = {"  0    imported; the result validates and nothing is left to do",
                "  1    imported, with the listed work left to do", "  2    the Packer template cannot be read"})
final class ImportCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "FILE", description = "Write the template here (default: standard output).")
    Path out;

    @Option(names = "--var-file-out", paramLabel = "FILE",
            description = "Write the values of *.pkrvars.hcl files here, as a JSON variables file for -var-file.")
    Path varFileOut;

    @Option(names = "--check", description = "Print only the to-do list.")
    boolean check;

    @Parameters(index = "0", paramLabel = "PACKER_TEMPLATE|FOLDER", description = "The Packer template or folder.")
    Path input;

    @ParentCommand
    Main main;

    @Override
    public Integer call() throws IOException {
        Path outDir = out != null ? out.toAbsolutePath().getParent()
                : (Files.isDirectory(input) ? input : input.toAbsolutePath().getParent());
        Importer.Result result;
        try {
            result = Importer.run(input, outDir);
        } catch (UnreadableTemplateException e) {
            main.err.println("Error: " + e.getMessage());
            return ExitCodes.INVALID;
        }
        if (check) {
            result.todos().forEach(main.out::println);
        } else if (out != null) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, result.groovy());
        } else {
            main.out.print(result.groovy());
        }
        if (varFileOut != null && result.varFile() != null) {
            Files.createDirectories(varFileOut.toAbsolutePath().getParent());
            Files.writeString(varFileOut, result.varFile() + "\n");
        }
        if (!check) {
            result.todos().forEach(t -> main.err.println("TODO(import): " + t));
        }
        main.err.println(result.clean() ? "Imported; the result validates." : "Imported with "
                + result.todos().size() + " thing" + (result.todos().size() == 1 ? "" : "s") + " to do.");
        return result.clean() ? ExitCodes.OK : ExitCodes.FAILED;
    }
}
