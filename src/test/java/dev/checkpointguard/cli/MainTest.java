package dev.checkpointguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.command.Io;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The command line itself: help, version and usage errors of every command. */
class MainTest {
  record Run(int exit, String out, String err) {}

  /**
   * As if started by the installed launcher, so that the help texts show {@code checkpoint-guard}.
   */
  private static final Map<String, String> LAUNCHED =
      Map.of(Invocation.LAUNCHER_ENV, "checkpoint-guard");

  private static Run run(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            env);
    int code = new Main(io).run(args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * Issue 9, defect 3: {@code --help} and {@code -h} of every command exit 0 with its usage, also
   * when it has required options (check, repair, restore used to exit 2 "Missing required option");
   * {@code --version} works after every command too. Help lines fit in 100 columns.
   */
  @Test
  void everyCommandAnswersHelpAndVersion() {
    for (Command c : Commands.all()) {
      for (String help : new String[] {"--help", "-h"}) {
        Run r = run(LAUNCHED, c.name(), help);
        assertEquals(0, r.exit(), c.name() + " " + help + ": " + r);
        assertTrue(r.out().startsWith("usage: checkpoint-guard " + c.name() + " "), r.out());
        assertEquals("", r.err(), c.name() + " " + help);
        for (String line : r.out().split("\n")) {
          assertTrue(
              line.length() <= 100,
              c.name() + " help line of " + line.length() + " columns: " + line);
        }
      }
      Run v = run(LAUNCHED, c.name(), "--version");
      assertEquals(0, v.exit(), c.name() + " --version: " + v);
      assertEquals("checkpoint-guard " + Main.version() + "\n", v.out());
      // help wins over other arguments, even wrong ones
      Run mixed = run(LAUNCHED, c.name(), "--no-such-option", "--help");
      assertEquals(0, mixed.exit(), c.name() + ": " + mixed);
    }
    Run top = run(LAUNCHED, "--help");
    assertEquals(0, top.exit());
    for (String line : top.out().split("\n")) {
      assertTrue(
          line.length() <= 100, "top-level help line of " + line.length() + " columns: " + line);
    }
  }

  /** A usage error names the problem and a help command that runs as printed (defect 4). */
  @Test
  void aUsageErrorPointsAtTheCommandsHelp() {
    Run r = run(LAUNCHED, "repair");
    assertEquals(2, r.exit(), r.toString());
    assertEquals(
        "checkpoint-guard repair: Missing required option: repo\n"
            + "Try: checkpoint-guard repair --help\n",
        r.err());
    Run spaced =
        run(
            Map.of(Invocation.LAUNCHER_ENV, "/opt/check point/bin/checkpoint-guard"),
            "restore",
            "--bogus");
    assertEquals(2, spaced.exit());
    assertTrue(
        spaced.err().endsWith("\nTry: '/opt/check point/bin/checkpoint-guard' restore --help\n"),
        spaced.err());
  }
}
