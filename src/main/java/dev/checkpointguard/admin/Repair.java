package dev.checkpointguard.admin;

import dev.checkpointguard.cli.Io;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;

/**
 * Runs a repair: plan, back up, apply with compare-and-set, re-plan when a ref moved.
 *
 * <p>Order of work in one attempt, each item one numbered <em>step</em>:
 *
 * <ol>
 *   <li>write every new object (objects alone change nothing visible);
 *   <li>one backup ref per existing ref the plan changes: {@code refs/checkpoint-guard/backup/<ts>/<ref>};
 *   <li>one result ref per ref the plan sets: {@code refs/checkpoint-guard/result/<ts>/<ref>}, so that
 *       {@code restore} can tell a ref repair set from one a client moved since;
 *   <li>the ref updates, in plan order (archives created, then {@code /full/current}, then under-threshold
 *       archives deleted), each compare-and-set against the planned old value.
 * </ol>
 *
 * <p>Every state between two steps holds every checkpoint, so a repair killed at any point loses nothing,
 * and a rerun plans from what it finds and finishes the job. A ref that moved (a live push) fails its
 * compare-and-set; the attempt stops there and the repair plans again, at most {@link #MAX_ATTEMPTS} times.
 */
final class Repair {
  static final int MAX_ATTEMPTS = 5;
  static final String RESULT_PREFIX = "refs/checkpoint-guard/result/";
  /** Test hook: stop abruptly after this step number (counted over the whole run, from 1). */
  static final String CRASH_AFTER_STEP = "CHECKPOINT_GUARD_CRASH_AFTER_STEP";
  /**
   * With value {@code halt}, the crash halts the JVM (for tests that run the jar); with {@code pause}, it
   * prints {@code crash point <n> reached} on standard error and blocks until the process is killed (for
   * tests that send a real SIGKILL at that point); else it throws.
   */
  static final String CRASH_MODE = "CHECKPOINT_GUARD_CRASH_MODE";

  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  /** Observes a repair; tests use it to crash, to move refs, and to judge updates with the policy. */
  interface Listener {
    /** After step {@code n} (from 1) completed. */
    default void afterStep(int n, String what) throws IOException {}

    /** Just before a v2 ref update is attempted. */
    default void beforeUpdate(RepairPlan.Update u) throws IOException {}

    Listener NONE = new Listener() {};
  }

  /** Thrown by the crash hook: an abrupt stop, nothing cleaned up. */
  static final class SimulatedCrash extends Error {
    SimulatedCrash(int step) {
      super("simulated crash after step " + step + " (" + CRASH_AFTER_STEP + ")");
    }
  }

  /** How a run ended. */
  enum Outcome {
    NOTHING_TO_DO,
    PLANNED,
    REPAIRED,
    GAVE_UP
  }

  record Result(Outcome outcome, RepairPlan plan, String backup, int attempts, int steps) {}

  private final Repository repo;
  private final int threshold;
  private final RepairPlan.Mode mode;
  private final boolean dryRun;
  private final Io io;
  private final Listener listener;
  private final Clock clock;
  private final int crashAfter;
  private int step;

  Repair(Repository repo, int threshold, RepairPlan.Mode mode, boolean dryRun, Io io, Listener listener,
      Clock clock) {
    this.repo = repo;
    this.threshold = threshold;
    this.mode = mode;
    this.dryRun = dryRun;
    this.io = io;
    this.listener = listener == null ? Listener.NONE : listener;
    this.clock = clock;
    String c = io.env().get(CRASH_AFTER_STEP);
    int n = -1;
    if (c != null && !c.isBlank()) {
      try {
        n = Integer.parseInt(c.trim());
      } catch (NumberFormatException e) {
        n = -1;
      }
    }
    this.crashAfter = n;
  }

  /** Runs under the repository lock. */
  Result run() throws Exception {
    PrintStream out = io.out();
    RepairPlan last = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      RepairPlan plan;
      try (ObjectReader reader = repo.newObjectReader()) {
        Inventory inv = Inventory.read(repo, reader);
        Analysis a = new Analysis(inv, reader, new EtaProgressMonitor(io.err()));
        PersonIdent who = new PersonIdent(RepairPlanner.DEFAULT_IDENT, clock.instant(), ZoneOffset.UTC);
        plan = new RepairPlanner(a, threshold, mode, who).plan();
        last = plan;
        if (plan.isEmpty()) {
          return new Result(attempt == 1 ? Outcome.NOTHING_TO_DO : Outcome.REPAIRED, plan, null, attempt,
              step);
        }
        out.println((dryRun ? "plan" : "attempt " + attempt) + " (mode " + mode.name().toLowerCase()
            + ", threshold " + threshold + "):");
        for (String l : plan.lines) {
          out.println("  " + l);
        }
        if (dryRun) {
          out.println("dry run: " + plan.summary() + "; nothing written");
          return new Result(Outcome.PLANNED, plan, null, attempt, step);
        }
        String ts = backupName();
        String moved = apply(plan, reader, ts);
        if (moved == null) {
          out.println("applied: " + plan.summary());
          out.println("backup: " + ts + " (undo with: checkpoint-guard restore --repo DIR --backup " + ts
              + ")");
          return new Result(Outcome.REPAIRED, plan, ts, attempt, step);
        }
        io.err().println("checkpoint-guard repair: " + moved + "; planning again (attempt " + attempt
            + " of " + MAX_ATTEMPTS + ")");
      }
    }
    io.err().println("checkpoint-guard repair: stopped after " + MAX_ATTEMPTS
        + " attempts: refs kept changing under live pushes; nothing more was changed, every step so far"
        + " kept all checkpoints; run it again later");
    return new Result(Outcome.GAVE_UP, last, null, MAX_ATTEMPTS, step);
  }

  /** Applies one plan; returns null when done, else why it stopped (a ref moved). */
  private String apply(RepairPlan plan, ObjectReader reader, String ts) throws IOException {
    try (ObjectInserter ins = repo.newObjectInserter()) {
      plan.objects.writeAll(ins);
    }
    step("write " + plan.objects.size() + " new objects");
    for (RepairPlan.Update u : plan.updates) {
      if (!u.isCreate()) {
        String b = RefNames.BACKUP_PREFIX + ts + "/" + u.ref();
        if (!RefWriter.compareAndSet(repo, b, ObjectId.zeroId(), u.expected(), "checkpoint-guard backup")) {
          return "backup ref " + b + " exists already";
        }
        step("back up " + u.ref());
      }
    }
    for (RepairPlan.Update u : plan.updates) {
      if (!u.isDelete()) {
        String r = RESULT_PREFIX + ts + "/" + u.ref();
        if (!RefWriter.compareAndSet(repo, r, ObjectId.zeroId(), u.next(), "checkpoint-guard result")) {
          return "result ref " + r + " exists already";
        }
        step("record result of " + u.ref());
      }
    }
    for (RepairPlan.Update u : plan.updates) {
      if (!RefWriter.read(repo, u.ref()).equals(u.expected())) {
        return u.ref() + " moved since it was planned";
      }
    }
    for (RepairPlan.Update u : plan.updates) {
      listener.beforeUpdate(u);
      if (!RefWriter.compareAndSet(repo, u.ref(), u.expected(), u.next(), "checkpoint-guard repair: "
          + u.what())) {
        return u.ref() + " moved since it was planned (compare-and-set failed)";
      }
      step(u.what());
    }
    return null;
  }

  private void step(String what) throws IOException {
    step++;
    listener.afterStep(step, what);
    if (step == crashAfter) {
      if ("halt".equals(io.env().get(CRASH_MODE))) {
        io.out().flush();
        io.err().flush();
        Runtime.getRuntime().halt(137);
      }
      if ("pause".equals(io.env().get(CRASH_MODE))) {
        io.out().flush();
        io.err().println("checkpoint-guard repair: crash point " + step + " reached (" + what + ")");
        io.err().flush();
        while (true) {
          try {
            Thread.sleep(60_000);
          } catch (InterruptedException e) {
            // only a kill ends this test hook
          }
        }
      }
      throw new SimulatedCrash(step);
    }
  }

  /** A UTC timestamp not used by any earlier backup. */
  private String backupName() throws IOException {
    String base = TS.format(clock.instant());
    String ts = base;
    for (int i = 2; used(ts); i++) {
      ts = base + "-" + i;
    }
    return ts;
  }

  private boolean used(String ts) throws IOException {
    return !repo.getRefDatabase().getRefsByPrefix(RefNames.BACKUP_PREFIX + ts + "/").isEmpty()
        || !repo.getRefDatabase().getRefsByPrefix(RESULT_PREFIX + ts + "/").isEmpty();
  }

  /** The refs a repair run left for {@code restore}. */
  static List<String> prefixes(String ts) {
    List<String> l = new ArrayList<>();
    l.add(RefNames.BACKUP_PREFIX + ts + "/");
    l.add(RESULT_PREFIX + ts + "/");
    return l;
  }
}
