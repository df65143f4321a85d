package dev.imagebake.cli;

import dev.imagebake.emulator.Inventory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code imagebake emulator inventory}: every resource in an emulator's data folder, e.g. to find leaks. */
@Command(name = "inventory", mixinStandardHelpOptions = true,
        description = "List every resource an emulator holds, grouped per resource group. Works while the emulator "
                + "runs on DIR.")
final class EmulatorInventoryCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = ".imagebake-emulator", paramLabel = "DIR",
            description = "The emulator's data folder (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--json", description = "Print {\"resources\":[{id, type, resourceGroup, ...}], \"count\": N}.")
    boolean json;

    @ParentCommand
    EmulatorCommand emulator;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(data)) {
            emulator.main.err.println("Error: no emulator data folder at " + data);
            return ExitCodes.INVALID;
        }
        Inventory inventory = Inventory.read(data);
        emulator.main.out.print(json ? inventory.toJson() + "\n" : inventory.render());
        return ExitCodes.OK;
    }
}
