package dev.checkpointguard.command;

import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/** One subcommand of {@code checkpoint-guard}. */
public interface Command {
  /** Exit code: success, nothing rejected, no problem found. */
  int OK = 0;

  /** Exit code: something was rejected, or problems were found. */
  int PROBLEMS = 1;

  /** Exit code: bad usage or setup (arguments, paths, configuration). */
  int USAGE = 2;

  /** The name typed after {@code checkpoint-guard}. */
  String name();

  /** Arguments after the options, for the usage line (e.g. {@code "[options]"}). */
  default String argsSyntax() {
    return "[options]";
  }

  /** One line for the command list. */
  String summary();

  /** Further help text printed below the options, or an empty string. */
  default String details() {
    return "";
  }

  /** The command's options ({@code --help} and {@code --version} are added by the command line). */
  Options options();

  /**
   * Runs the command.
   *
   * @return the exit code: {@link #OK}, {@link #PROBLEMS} or {@link #USAGE}
   * @throws UsageException for bad input that the caller should correct; printed in one line, exit
   *     2
   */
  int run(CommandLine cl, Io io) throws UsageException, Exception;
}
