package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.fixtures.DamageScenarios;
import dev.checkpointguard.fixtures.GitCli;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, defect 4: every command line the admin commands print as a hint runs as printed, from
 * another working directory, with the real repository path (here one with a space and a quote)
 * instead of a placeholder. The hints here name the test JVM's {@code java -cp … Main}: how this
 * process was started.
 */
class HintsTest {
  @TempDir Path tmp;

  @Test
  void theUndoAndCheckHintsOfRepairRunAsPrinted() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("it's here")).resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    Map<String, ObjectId> before = AdminHarness.v2Refs(dir);

    AdminHarness.Run repair = runInProcess("repair", "--repo", dir.toString());
    assertEquals(0, repair.exit(), repair.toString());
    String undo = group(repair.out(), "\nbackup: \\S+ \\(undo with: (.+)\\)\n");
    String check = group(repair.out(), "\ncheck: healthy \\([^;]+; details: (.+)\\)\n");
    assertFalse(undo.contains("DIR"), undo);

    GitCli.Result checked = shell(check);
    assertEquals(0, checked.exitCode(), checked.toString());
    assertTrue(
        checked.stdout().startsWith("checkpoint-guard check: " + dir.toAbsolutePath()),
        checked.stdout());
    // check lists the backup with the same undo command
    assertTrue(checked.stdout().contains("  undo with: " + undo + "\n"), checked.stdout());

    GitCli.Result undone = shell(undo);
    assertEquals(0, undone.exitCode(), undone.toString());
    assertEquals(before, AdminHarness.v2Refs(dir), "restore put every v2 ref back");
  }

  /**
   * Runs {@code command} with {@code sh -c} in a folder of its own, as an administrator would paste
   * it.
   */
  private GitCli.Result shell(String command) throws Exception {
    Path home = tmp.resolve("home");
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    // JGit reads ~/.gitconfig from user.home, which a new JVM takes from the account, not from HOME
    GitCli sh =
        new GitCli(home, Duration.ofMinutes(5)).with("JAVA_TOOL_OPTIONS", "-Duser.home=" + home);
    return sh.exec(elsewhere, null, List.of("sh", "-c", command));
  }

  /**
   * The admin commands in-process, with this process's PATH (the hints name the {@code java} on
   * it).
   */
  private static AdminHarness.Run runInProcess(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    var io =
        new Io(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")));
    int code =
        new Main(
                io,
                List.of(
                    new CheckCommand(),
                    new RepairCommand(Repair.Listener.NONE, AdminHarness.CLOCK, Repair.BATCH),
                    new RestoreCommand()))
            .run(args);
    return new AdminHarness.Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String group(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher("\n" + text);
    assertTrue(m.find(), "no match of " + regex + " in:\n" + text);
    return m.group(1);
  }
}
