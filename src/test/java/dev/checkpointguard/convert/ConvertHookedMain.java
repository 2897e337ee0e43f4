package dev.checkpointguard.convert;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code convert} with the test switches of {@link Converter.Hooks}, for tests that run it as its
 * own process and kill it. Test code only: the switches come from system properties this class
 * reads, which the shipped {@code Main} never looks at.
 */
public final class ConvertHookedMain {
  static final String CRASH_AFTER_STEP = "checkpointGuardTest.convertCrashAfterStep";
  static final String CRASH_MODE = "checkpointGuardTest.convertCrashMode";
  static final String ANNOUNCE = "checkpointGuardTest.convertAnnounceWrites";

  private ConvertHookedMain() {}

  public static void main(String[] args) {
    Converter.Hooks hooks =
        new Converter.Hooks(
            Integer.getInteger(CRASH_AFTER_STEP, -1),
            Converter.CrashMode.valueOf(System.getProperty(CRASH_MODE, "THROW")),
            Boolean.getBoolean(ANNOUNCE));
    List<Command> commands =
        List.of(new ConvertCommand(Clock.systemUTC(), hooks, Converter.Listener.NONE));
    System.exit(new Main(Io.system(), commands).run(args));
  }

  /**
   * A {@code java} command line running this class on the test class path with {@code hooks}, then
   * {@code args}.
   */
  static List<String> command(Converter.Hooks hooks, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Duser.home=" + System.getProperty("user.home"));
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-Xshare:auto");
    cmd.add("-D" + CRASH_AFTER_STEP + "=" + hooks.crashAfterStep());
    cmd.add("-D" + CRASH_MODE + "=" + hooks.crashMode().name());
    cmd.add("-D" + ANNOUNCE + "=" + hooks.announceWrites());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ConvertHookedMain.class.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}
