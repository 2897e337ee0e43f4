package dev.checkpointguard.admin;

import java.io.PrintStream;
import java.util.List;

/**
 * Test-only crash switches for {@code repair}, as a {@link Repair.Listener}: after step {@code
 * step} the run stops abruptly, nothing cleaned up. The production code has no such switch: only a
 * test installs this listener (in-process through {@link AdminHarness}, in a process through {@link
 * HookedMain}).
 */
final class Crash implements Repair.Listener {
  /** How the run stops. */
  enum Mode {
    /** Throws {@link SimulatedCrash} (in-process tests). */
    THROW,
    /** Halts the JVM with exit code 137, nothing cleaned up (tests that run a process). */
    HALT,
    /**
     * Prints {@code checkpoint-guard repair: crash point <n> reached (<step>)} on standard error
     * and blocks until the process is killed (tests that send a real SIGKILL at that point).
     */
    PAUSE
  }

  /** Thrown by {@link Mode#THROW}: an abrupt stop. */
  static final class SimulatedCrash extends Error {
    private static final long serialVersionUID = 1L;

    SimulatedCrash(int step) {
      super("simulated crash after step " + step + " (test hook)");
    }
  }

  private final int step;
  private final Mode mode;
  private final PrintStream err;

  /** Stops after {@code step} (from 1); a step below 1 never comes. */
  Crash(int step, Mode mode, PrintStream err) {
    this.step = step;
    this.mode = mode;
    this.err = err;
  }

  static Crash after(int step) {
    return new Crash(step, Mode.THROW, System.err);
  }

  @Override
  public void afterStep(int n, String what) {
    if (n != step) {
      return;
    }
    switch (mode) {
      case HALT -> {
        System.out.flush();
        err.flush();
        Runtime.getRuntime().halt(137);
      }
      case PAUSE -> {
        System.out.flush();
        err.println("checkpoint-guard repair: crash point " + n + " reached (" + what + ")");
        err.flush();
        while (true) {
          try {
            Thread.sleep(60_000); // until SIGKILL
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SimulatedCrash(n);
          }
        }
      }
      default -> {
        // THROW, below
      }
    }
    throw new SimulatedCrash(n);
  }

  /** A listener that tells each of {@code listeners} in turn. */
  static Repair.Listener all(Repair.Listener... listeners) {
    List<Repair.Listener> ls = List.of(listeners);
    return new Repair.Listener() {
      @Override
      public void afterStep(int n, String what) throws java.io.IOException {
        for (Repair.Listener l : ls) {
          l.afterStep(n, what);
        }
      }

      @Override
      public void beforeUpdate(RepairPlan.Update u) throws java.io.IOException {
        for (Repair.Listener l : ls) {
          l.beforeUpdate(u);
        }
      }

      @Override
      public void beforeWrite(List<RepairPlan.Update> batch) throws java.io.IOException {
        for (Repair.Listener l : ls) {
          l.beforeWrite(batch);
        }
      }
    };
  }
}
