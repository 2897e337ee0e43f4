package dev.checkpointguard.mirror;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Io;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code checkpoint-guard mirror} as its own process for the SIGKILL tests, stopping at a step of
 * the sync (system property {@value #PAUSE_AT}: {@code fetched}, {@code planned 1}, {@code
 * applied}): it prints {@code paused at <step>} on standard error and waits to be killed. Test code
 * only; the shipped {@code Main} never reads the property.
 */
public final class MirrorKillMain {
  static final String PAUSE_AT = "checkpointGuardTest.mirrorPauseAt";

  private MirrorKillMain() {}

  public static void main(String[] args) {
    String pauseAt = System.getProperty(PAUSE_AT, "");
    MirrorSync.Listener l =
        new MirrorSync.Listener() {
          @Override
          public void afterStep(String step) {
            System.err.println("checkpoint-guard mirror: at " + step);
            if (step.equals(pauseAt)) {
              System.err.println("checkpoint-guard mirror: paused at " + step);
              System.err.flush();
              try {
                Thread.sleep(Long.MAX_VALUE);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        };
    System.exit(new Main(Io.system(), List.of(new MirrorCommand(Clock.systemUTC(), l))).run(args));
  }

  /** A java command line running this class on the test class path, pausing at {@code pauseAt}. */
  static List<String> command(String pauseAt, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Duser.home=" + System.getProperty("user.home"));
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-D" + PAUSE_AT + "=" + pauseAt);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(MirrorKillMain.class.getName());
    cmd.addAll(List.of(args));
    return cmd;
  }
}
