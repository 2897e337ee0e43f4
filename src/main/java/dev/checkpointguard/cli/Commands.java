package dev.checkpointguard.cli;

import dev.checkpointguard.admin.CheckCommand;
import dev.checkpointguard.admin.RepairCommand;
import dev.checkpointguard.admin.RestoreCommand;
import dev.checkpointguard.command.Command;
import dev.checkpointguard.convert.ConvertCommand;
import dev.checkpointguard.mirror.MirrorCommand;
import dev.checkpointguard.mirror.ReferenceTransactionCommand;
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
        new CheckCommand(),
        new RepairCommand(),
        new RestoreCommand(),
        new ConvertCommand(),
        new MirrorCommand(),
        new ReferenceTransactionCommand());
  }
}
