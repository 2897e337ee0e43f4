package dev.checkpointguard.admin;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.cli.Main;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The admin commands with the test switches of {@link Repair.Hooks} turned on, for tests that run repair as
 * its own process (to halt it or kill it with SIGKILL at a step). Test code only: the switches come from
 * system properties this class reads, which the shipped {@code Main} never looks at, so no administrator's
 * environment can turn them on.
 */
public final class HookedMain {
  static final String CRASH_AFTER_STEP = "checkpointGuardTest.crashAfterStep";
  static final String CRASH_MODE = "checkpointGuardTest.crashMode";
  static final String BATCH = "checkpointGuardTest.repairBatch";

  private HookedMain() {}

  public static void main(String[] args) {
    Repair.Hooks hooks = new Repair.Hooks(Integer.getInteger(CRASH_AFTER_STEP, -1),
        Repair.CrashMode.valueOf(System.getProperty(CRASH_MODE, "THROW")),
        Integer.getInteger(BATCH, Repair.BATCH));
    List<Command> commands = List.of(new CheckCommand(),
        new RepairCommand(Repair.Listener.NONE, Clock.systemUTC(), hooks), new RestoreCommand());
    System.exit(new Main(Io.system(), commands).run(args));
  }

  /**
   * A {@code java} command line running this class on the test class path with {@code hooks}, then
   * {@code args} (e.g. {@code repair --repo DIR}); {@code jvmOptions} go before the class name (a
   * {@code -Duser.home} among them replaces the test JVM's).
   */
  static List<String> command(Repair.Hooks hooks, List<String> jvmOptions, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // The test JVM's home (surefire points it into the build directory), not the account's: JGit reads
    // ~/.gitconfig from user.home, which a child JVM would otherwise take from the password database.
    cmd.add("-Duser.home=" + System.getProperty("user.home"));
    cmd.addAll(jvmOptions);
    cmd.add("-D" + CRASH_AFTER_STEP + "=" + hooks.crashAfterStep());
    cmd.add("-D" + CRASH_MODE + "=" + hooks.crashMode().name());
    cmd.add("-D" + BATCH + "=" + hooks.batchSize());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(HookedMain.class.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}
