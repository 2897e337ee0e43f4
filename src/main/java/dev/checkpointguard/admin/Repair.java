package dev.checkpointguard.admin;

import dev.checkpointguard.cli.Io;
import dev.checkpointguard.core.CheckpointTimes;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
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
 * <p>Refs are written in atomic batches ({@link #batches}): consecutive updates of one kind, up to
 * {@link #BATCH} refs, change together or not at all, and each batch is one step.
 *
 * <p>Every state between two steps holds every checkpoint, so a repair killed at any point loses nothing,
 * and a rerun plans from what it finds and finishes the job. Before each update every v2 ref must still
 * hold its planned value (the plan relies on all of them), and the update itself is compare-and-set; when
 * a ref moved (a live push) the attempt stops there and the repair plans again, at most
 * {@link #MAX_ATTEMPTS} times.
 */
final class Repair {
  static final int MAX_ATTEMPTS = 5;
  /**
   * Most refs changed in one atomic transaction. Each batch is one {@code packed-refs} rewrite on a file
   * repository, so a repair of thousands of archives costs a few rewrites, not thousands.
   */
  static final int BATCH = 512;
  /**
   * Test hook: refs per atomic batch instead of {@link #BATCH}; {@code 1} writes every ref on its own, so
   * that {@link #CRASH_AFTER_STEP} can stop the run between any two ref writes.
   */
  static final String BATCH_SIZE = "CHECKPOINT_GUARD_REPAIR_BATCH";
  static final String RESULT_PREFIX = RefNames.RESULT_PREFIX;
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
  private final int batchSize;
  /** /main times read by the planning passes; {@link #timesMemo()} hands them to the closing check. */
  private final Map<ObjectId, CheckpointTimes.Times> timesMemo = new HashMap<>();
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
    this.crashAfter = intEnv(io, CRASH_AFTER_STEP, -1);
    this.batchSize = Math.max(1, intEnv(io, BATCH_SIZE, BATCH));
  }

  private static int intEnv(Io io, String name, int fallback) {
    String v = io.env().get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      return fallback;
    }
  }

  /** Runs under the repository lock. */
  Result run() throws Exception {
    PrintStream out = io.out();
    RepairPlan last = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      RepairPlan plan;
      List<String> locks = leftLocks(repo);
      if (!locks.isEmpty()) {
        // git writes refs under <name>.lock files that a killed process leaves behind; those refs cannot
        // be written until the files are removed, so retrying cannot help and would blame live pushes
        io.err().println("checkpoint-guard repair: " + locks.get(0) + (locks.size() == 1 ? " exists" : " and "
            + (locks.size() - 1) + " more ref lock files exist") + ": a git process is writing refs, or one was"
            + " killed while it did; nothing was changed by this run. If no git process is running on this"
            + " repository, remove " + (locks.size() == 1 ? "that file" : "them") + " and run repair again");
        return new Result(Outcome.GAVE_UP, last, null, attempt, step);
      }
      try (ObjectReader reader = repo.newObjectReader()) {
        Inventory inv = Inventory.read(repo, reader);
        Analysis a = new Analysis(inv, reader, new EtaProgressMonitor(io.err()), timesMemo);
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
        String moved = apply(plan, inv.values, ts);
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

  /**
   * Applies one plan; returns null when done, else why it stopped (a ref moved).
   *
   * @param planned every v2 ref's value when the plan was made: before each update all of them must
   *     still hold (the plan also relies on refs it does not change, e.g. an archive that already holds a
   *     copy dropped from /full/current)
   */
  private String apply(RepairPlan plan, Map<String, ObjectId> planned, String ts) throws IOException {
    try (ObjectInserter ins = repo.newObjectInserter()) {
      plan.objects.writeAll(ins);
    }
    step("write " + plan.objects.size() + " new objects");
    List<RepairPlan.Update> backups = new ArrayList<>();
    List<RepairPlan.Update> results = new ArrayList<>();
    for (RepairPlan.Update u : plan.updates) {
      if (!u.isCreate()) {
        backups.add(new RepairPlan.Update(RefNames.BACKUP_PREFIX + ts + "/" + u.ref(), ObjectId.zeroId(),
            u.expected(), "back up " + u.ref()));
      }
      if (!u.isDelete()) {
        results.add(new RepairPlan.Update(RESULT_PREFIX + ts + "/" + u.ref(), ObjectId.zeroId(), u.next(),
            "record result of " + u.ref()));
      }
    }
    for (List<RepairPlan.Update> batch : batches(backups, batchSize)) {
      if (!RefWriter.compareAndSetAll(repo, batch, "checkpoint-guard backup")) {
        return "a backup ref under " + RefNames.BACKUP_PREFIX + ts + "/ exists already";
      }
      step(describe(batch));
    }
    for (List<RepairPlan.Update> batch : batches(results, batchSize)) {
      if (!RefWriter.compareAndSetAll(repo, batch, "checkpoint-guard result")) {
        return "a result ref under " + RESULT_PREFIX + ts + "/ exists already";
      }
      step(describe(batch));
    }
    Map<String, ObjectId> expected = new TreeMap<>(planned);
    for (List<RepairPlan.Update> batch : batches(plan.updates, batchSize)) {
      for (RepairPlan.Update u : batch) {
        listener.beforeUpdate(u);
      }
      String moved = firstDifference(expected);
      if (moved != null) {
        return moved + " moved since it was planned";
      }
      if (!RefWriter.compareAndSetAll(repo, batch, "checkpoint-guard repair: " + describe(batch))) {
        return (batch.size() == 1 ? batch.get(0).ref() : "one of " + describe(batch))
            + " moved since it was planned (compare-and-set failed)";
      }
      for (RepairPlan.Update u : batch) {
        if (u.isDelete()) {
          expected.remove(u.ref());
        } else {
          expected.put(u.ref(), u.next());
        }
      }
      step(describe(batch));
    }
    return null;
  }

  /**
   * The updates in plan order, cut into atomic batches: consecutive updates of one kind (creates,
   * updates, deletes), at most {@link #BATCH} each. The plan's order, and with it the guarantee that no
   * state in between loses a checkpoint, is kept: archives are all created before {@code /full/current}
   * moves, and deleted only after.
   */
  static List<List<RepairPlan.Update>> batches(List<RepairPlan.Update> updates) {
    return batches(updates, BATCH);
  }

  /** {@link #batches(List)} with at most {@code size} refs per batch. */
  static List<List<RepairPlan.Update>> batches(List<RepairPlan.Update> updates, int size) {
    List<List<RepairPlan.Update>> out = new ArrayList<>();
    List<RepairPlan.Update> cur = new ArrayList<>();
    for (RepairPlan.Update u : updates) {
      if (!cur.isEmpty() && (cur.size() == size || kind(cur.get(0)) != kind(u))) {
        out.add(cur);
        cur = new ArrayList<>();
      }
      cur.add(u);
    }
    if (!cur.isEmpty()) {
      out.add(cur);
    }
    return out;
  }

  private static int kind(RepairPlan.Update u) {
    return u.isCreate() ? 0 : u.isDelete() ? 2 : 1;
  }

  private static String describe(List<RepairPlan.Update> batch) {
    return batch.size() == 1
        ? batch.get(0).what()
        : batch.get(0).what() + " and " + (batch.size() - 1) + " more like it";
  }

  /** The first v2 ref whose value differs from {@code expected} (added, removed or moved), or null. */
  private String firstDifference(Map<String, ObjectId> expected) throws IOException {
    Map<String, ObjectId> now = new TreeMap<>();
    for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
      now.put(r.getName(), r.getObjectId() == null ? ObjectId.zeroId() : r.getObjectId());
    }
    for (Map.Entry<String, ObjectId> e : expected.entrySet()) {
      if (!e.getValue().equals(now.get(e.getKey()))) {
        return e.getKey();
      }
    }
    for (String ref : now.keySet()) {
      if (!expected.containsKey(ref)) {
        return ref;
      }
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

  /** What the planning passes read from {@code /main}, by checkpoint directory tree id. */
  Map<ObjectId, CheckpointTimes.Times> timesMemo() {
    return timesMemo;
  }

  /** The ref lock files of a repository on disk: {@code packed-refs.lock}, then {@code refs/**.lock}. */
  static List<String> leftLocks(Repository repo) throws IOException {
    List<String> out = new ArrayList<>();
    java.io.File dir = repo.getDirectory();
    if (dir == null) {
      return out;
    }
    java.nio.file.Path git = dir.toPath();
    if (java.nio.file.Files.exists(git.resolve("packed-refs.lock"))) {
      out.add(git.resolve("packed-refs.lock").toString());
    }
    java.nio.file.Path refs = git.resolve("refs");
    if (java.nio.file.Files.isDirectory(refs)) {
      try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.walk(refs)) {
        s.filter(f -> f.getFileName().toString().endsWith(".lock")).map(Object::toString).sorted()
            .forEach(out::add);
      }
    }
    return out;
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
}
