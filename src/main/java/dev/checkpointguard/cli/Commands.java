package dev.checkpointguard.cli;

import dev.checkpointguard.stock.PreReceiveCommand;
import dev.checkpointguard.stock.UpdateCommand;
import java.util.List;

/** The registry of subcommands, in the order {@code --help} lists them. */
final class Commands {
  private Commands() {}

  static List<Command> all() {
    return List.of(
        new ServeCommand(),
        new HashPasswordCommand(),
        new PreReceiveCommand(),
        new UpdateCommand(),
        new dev.checkpointguard.admin.CheckCommand(),
        new dev.checkpointguard.admin.RepairCommand(),
        new dev.checkpointguard.admin.RestoreCommand(),
        new dev.checkpointguard.convert.ConvertCommand());
  }
}
