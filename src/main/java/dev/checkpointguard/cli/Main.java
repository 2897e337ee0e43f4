package dev.checkpointguard.cli;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Errors;
import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * {@code checkpoint-guard <command> [options]}. The static {@link #main} only exits with what
 * {@link #run} returns, so tests drive the whole CLI in-process.
 *
 * <p>Exit codes: 0 ok, 1 rejected or problems found, 2 usage or setup error. Errors are one line on
 * standard error, never a stack trace (set {@code CHECKPOINT_GUARD_DEBUG=1} to see one).
 */
public final class Main {
  public static final String TOOL = "checkpoint-guard";

  /** Help text is wrapped to this many columns. */
  static final int WIDTH = 100;

  private final Io io;
  private final Map<String, Command> commands = new LinkedHashMap<>();

  public Main(Io io) {
    this(io, Commands.all());
  }

  public Main(Io io, List<Command> commands) {
    this.io = io;
    for (Command c : commands) {
      this.commands.put(c.name(), c);
    }
  }

  public static void main(String[] args) {
    int code = new Main(Io.system()).run(args);
    System.out.flush();
    System.err.flush();
    System.exit(code);
  }

  /** Runs one command line and returns the exit code. */
  public int run(String... args) {
    Invocation inv = Invocation.of(io.env());
    if (args.length == 0) {
      io.err().print(usage(inv));
      return Command.USAGE;
    }
    String first = args[0];
    if (first.equals("--help") || first.equals("-h") || first.equals("help")) {
      if (args.length > 1 && commands.containsKey(args[1])) {
        io.out().print(help(commands.get(args[1]), inv));
      } else {
        io.out().print(usage(inv));
      }
      return Command.OK;
    }
    if (isVersion(first)) {
      io.out().println(TOOL + " " + version());
      return Command.OK;
    }
    Command cmd = commands.get(first);
    if (cmd == null) {
      io.err().println(TOOL + ": unknown command '" + printable(first) + "'");
      io.err().print(usage(inv));
      return Command.USAGE;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    // --help and --version answer before the command's own options are checked (a missing required
    // option, an unknown one), as every command line tool does
    for (String a : rest) {
      if (a.equals("--")) {
        break;
      }
      if (a.equals("--help") || a.equals("-h")) {
        io.out().print(help(cmd, inv));
        return Command.OK;
      }
    }
    for (String a : rest) {
      if (a.equals("--")) {
        break;
      }
      if (isVersion(a)) {
        io.out().println(TOOL + " " + version());
        return Command.OK;
      }
    }
    Options options = withStandard(cmd.options());
    CommandLine cl;
    try {
      cl =
          DefaultParser.builder()
              .setStripLeadingAndTrailingQuotes(false)
              .build()
              .parse(options, rest);
    } catch (ParseException e) {
      io.err().println(TOOL + " " + cmd.name() + ": " + printable(e.getMessage()));
      io.err().println("Try: " + inv.command(cmd.name(), "--help"));
      return Command.USAGE;
    }
    try {
      return cmd.run(cl, io);
    } catch (UsageException e) {
      io.err().println(TOOL + " " + cmd.name() + ": " + e.getMessage());
      return Command.USAGE;
    } catch (Exception | Error e) {
      io.err().println(TOOL + " " + cmd.name() + ": error: " + Errors.describe(e));
      if (io.env().get("CHECKPOINT_GUARD_DEBUG") != null) {
        e.printStackTrace(io.err());
      }
      return Command.USAGE;
    }
  }

  private static boolean isVersion(String a) {
    return a.equals("--version") || a.equals("-V");
  }

  private static String printable(String s) {
    return Errors.printable(s);
  }

  /** The command's options plus the {@code --help} and {@code --version} every command has. */
  private static Options withStandard(Options o) {
    Options all = new Options();
    o.getOptions().forEach(all::addOption);
    all.addOption(Option.builder("h").longOpt("help").desc("show this help and exit").get());
    all.addOption(Option.builder("V").longOpt("version").desc("print the version and exit").get());
    return all;
  }

  String usage(Invocation inv) {
    String self = inv.command();
    StringBuilder b = new StringBuilder();
    b.append("usage: ").append(self).append(" <command> [options]\n");
    b.append("       ").append(self).append(" --version | --help [command]\n\n");
    b.append(
        "Server-side guard for the Entire CLI's v2 checkpoint refs (refs/entire/checkpoints/v2/).\n\n");
    b.append("Commands:\n");
    int w = commands.keySet().stream().mapToInt(String::length).max().orElse(8);
    for (Command c : commands.values()) {
      b.append(wrap("  " + String.format("%-" + w + "s", c.name()) + "  " + c.summary(), w + 4));
    }
    b.append("\nEach command's options: ").append(self).append(" <command> --help\n");
    b.append("Exit codes: 0 ok, 1 rejected or problems found, 2 usage or setup error.\n");
    return b.toString();
  }

  /**
   * {@code line} wrapped at {@link #WIDTH} columns, continuation lines indented by {@code indent}.
   */
  static String wrap(String line, int indent) {
    StringBuilder b = new StringBuilder();
    String rest = line;
    while (rest.length() > WIDTH) {
      int cut = rest.lastIndexOf(' ', WIDTH);
      if (cut <= indent) {
        break; // one word longer than the line: leave it whole
      }
      b.append(rest, 0, cut).append('\n');
      rest = " ".repeat(indent) + rest.substring(cut + 1);
    }
    return b.append(rest).append('\n').toString();
  }

  @SuppressWarnings(
      "deprecation") // the classic formatter prints exactly what a terminal user expects
  String help(Command cmd, Invocation inv) {
    StringWriter s = new StringWriter();
    PrintWriter w = new PrintWriter(s);
    HelpFormatter f = new HelpFormatter();
    f.setWidth(WIDTH);
    f.printHelp(
        w,
        WIDTH,
        inv.command(cmd.name()) + " " + cmd.argsSyntax(),
        cmd.summary() + "\n\n",
        withStandard(cmd.options()),
        2,
        2,
        cmd.details().isEmpty() ? "" : "\n" + cmd.details(),
        false);
    w.flush();
    return s.toString();
  }

  /** The version from the jar's manifest, or "dev" when run from classes. */
  public static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
