package dev.checkpointguard.admin;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The admin commands with a {@link Crash} listener installed, for tests that run repair as its own
 * process (to halt it or kill it with SIGKILL at a step). Test code only: the switches come from
 * system properties this class reads, which the shipped {@code Main} never looks at, so no
 * administrator's environment can turn them on.
 */
public final class HookedMain {
  static final String CRASH_AFTER_STEP = "checkpointGuardTest.crashAfterStep";
  static final String CRASH_MODE = "checkpointGuardTest.crashMode";
  static final String BATCH = "checkpointGuardTest.repairBatch";

  private HookedMain() {}

  public static void main(String[] args) {
    Crash crash =
        new Crash(
            Integer.getInteger(CRASH_AFTER_STEP, -1),
            Crash.Mode.valueOf(System.getProperty(CRASH_MODE, "THROW")),
            System.err);
    List<Command> commands =
        List.of(
            new CheckCommand(),
            new RepairCommand(crash, Clock.systemUTC(), Integer.getInteger(BATCH, Repair.BATCH)),
            new RestoreCommand());
    System.exit(new Main(Io.system(), commands).run(args));
  }

  /**
   * A {@code java} command line running this class on the test class path, crashing in {@code mode}
   * after {@code crashAfterStep} (-1: never) with {@code batchSize} refs per batch, then {@code
   * args} (e.g. {@code repair --repo DIR}); {@code jvmOptions} go before the class name (a {@code
   * -Duser.home} among them replaces the test JVM's).
   */
  static List<String> command(
      int crashAfterStep, Crash.Mode mode, int batchSize, List<String> jvmOptions, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The test JVM's home (surefire points it into the build directory), not the account's: JGit
    // reads
    // ~/.gitconfig from user.home, which a child JVM would otherwise take from the password
    // database.
    cmd.add("-Duser.home=" + System.getProperty("user.home"));
    cmd.addAll(jvmOptions);
    cmd.add("-D" + CRASH_AFTER_STEP + "=" + crashAfterStep);
    cmd.add("-D" + CRASH_MODE + "=" + mode.name());
    cmd.add("-D" + BATCH + "=" + batchSize);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(HookedMain.class.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}
