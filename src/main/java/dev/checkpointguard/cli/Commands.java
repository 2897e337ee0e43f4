package dev.checkpointguard.cli;

import java.util.List;

/** The registry of subcommands, in the order {@code --help} lists them. */
final class Commands {
  private Commands() {}

  static List<Command> all() {
    return List.of(new ServeCommand(), new HashPasswordCommand());
  }
}
