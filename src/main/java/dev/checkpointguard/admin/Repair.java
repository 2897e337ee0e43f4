package dev.checkpointguard.admin;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.CheckpointTimes;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.io.InterruptedIOException;
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
 *   <li>one backup ref per existing ref the plan changes: {@code
 *       refs/checkpoint-guard/backup/<ts>/<ref>};
 *   <li>one result ref per ref the plan sets: {@code refs/checkpoint-guard/result/<ts>/<ref>}, so
 *       that {@code restore} can tell a ref repair set from one a client moved since;
 *   <li>the ref updates, in plan order (archives created, then {@code /full/current}, then
 *       under-threshold archives deleted), each compare-and-set against the planned old value.
 * </ol>
 *
 * <p>Refs are written in atomic batches ({@link #batches}): consecutive updates of one kind, up to
 * {@link #BATCH} refs, change together or not at all, and each batch is one step.
 *
 * <p>Every state between two steps holds every checkpoint, so a repair killed at any point loses
 * nothing, and a rerun plans from what it finds and finishes the job. The plan relies on every
 * generation ref ({@code /full/current} and the archives), also on those it does not change (e.g.
 * an archive that holds the copies dropped from {@code /full/current}): each batch that can drop
 * content (updates, deletes) carries every generation ref the plan keeps and the batch does not
 * change as a verify-only command (old value = new value) in the same atomic transaction, so a
 * retention delete or a push between the check and the write makes the whole batch fail instead of
 * turning the update into a loss. {@code /main} and unknown v2 names are not part of the plan
 * (times from {@code /main} only order checkpoints), so pushes to them never force a new plan. When
 * a generation ref moved (a live push) the attempt stops there and the repair plans again, at most
 * {@link #MAX_ATTEMPTS} times.
 *
 * <p>Durability: the run sets {@code core.fsyncObjectFiles} and {@code core.fsyncRefFiles} in the
 * repository's in-memory configuration (not on disk), so JGit fsyncs every loose object it writes
 * and every loose ref and {@code packed-refs} file it commits before a later step relies on them.
 */
final class Repair {
  static final int MAX_ATTEMPTS = 5;

  /**
   * Most refs changed in one atomic transaction. Each batch is one {@code packed-refs} rewrite on a
   * file repository, so a repair of thousands of archives costs a few rewrites, not thousands.
   */
  static final int BATCH = 512;

  static final String RESULT_PREFIX = RefNames.RESULT_PREFIX;

  /**
   * Observes a repair. The production run uses {@link #NONE}; tests use it to stop the run at a
   * step (a simulated crash, a halt, a pause for SIGKILL), to move refs meanwhile, and to judge
   * each update with the policy. Nothing in an administrator's environment or configuration
   * installs one.
   */
  interface Listener {
    /** After step {@code n} (from 1) completed. */
    default void afterStep(int n, String what) throws IOException {}

    /** Just before a v2 ref update is attempted (before the re-check of the generation refs). */
    default void beforeUpdate(RepairPlan.Update u) throws IOException {}

    /**
     * After the re-check found every generation ref as planned, just before the batch's atomic
     * compare-and-set (which also verifies the refs the batch does not change).
     */
    default void beforeWrite(List<RepairPlan.Update> batch) throws IOException {}

    Listener NONE = new Listener() {};
  }

  /** How a run ended. */
  enum Outcome {
    NOTHING_TO_DO,
    PLANNED,
    REPAIRED,
    /** Refs kept moving under live pushes, or a lock file of a killed git process is in the way. */
    GAVE_UP,
    /** A ref write failed (I/O error, missing object) or the run was interrupted: an error. */
    FAILED
  }

  record Result(Outcome outcome, RepairPlan plan, String backup, int attempts, int steps) {}

  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("uuuuMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Repository repo;
  private final int threshold;
  private final RepairPlan.Mode mode;
  private final boolean dryRun;
  private final Io io;
  private final Listener listener;
  private final Clock clock;
  private final int batchSize;

  /**
   * /main times read by the planning passes; {@link #timesMemo()} hands them to the closing check.
   */
  private final Map<ObjectId, CheckpointTimes.Times> timesMemo = new HashMap<>();

  private int step;

  Repair(
      Repository repo,
      int threshold,
      RepairPlan.Mode mode,
      boolean dryRun,
      Io io,
      Listener listener,
      Clock clock) {
    this(repo, threshold, mode, dryRun, io, listener, clock, BATCH);
  }

  /**
   * @param batchSize refs per atomic batch, at most {@link #BATCH}; 1 writes every ref on its own
   *     (tests use it to have a step between any two ref writes)
   */
  Repair(
      Repository repo,
      int threshold,
      RepairPlan.Mode mode,
      boolean dryRun,
      Io io,
      Listener listener,
      Clock clock,
      int batchSize) {
    if (batchSize < 1 || batchSize > BATCH) {
      throw new IllegalArgumentException("batchSize " + batchSize);
    }
    this.repo = repo;
    this.threshold = threshold;
    this.mode = mode;
    this.dryRun = dryRun;
    this.io = io;
    this.listener = listener == null ? Listener.NONE : listener;
    this.clock = clock;
    this.batchSize = batchSize;
  }

  /**
   * Makes JGit fsync what this run writes: loose objects ({@code core.fsyncObjectFiles}) and loose
   * refs and {@code packed-refs} ({@code core.fsyncRefFiles}). Only the in-memory configuration of
   * {@code repo} changes; the file on disk is left as it is.
   */
  static void durable(Repository repo) {
    repo.getConfig().setBoolean("core", null, "fsyncObjectFiles", true);
    repo.getConfig().setBoolean("core", null, "fsyncRefFiles", true);
  }

  /** Runs under the repository lock; a dry run (which writes nothing) needs none. */
  Result run() throws Exception {
    PrintStream out = io.out();
    RepairPlan last = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      RepairPlan plan;
      List<String> locks = leftLocks(repo);
      if (!locks.isEmpty()) {
        // git writes refs under <name>.lock files that a killed process leaves behind; those refs
        // cannot
        // be written until the files are removed, so retrying cannot help and would blame live
        // pushes
        io.err()
            .println(
                "checkpoint-guard repair: "
                    + locks.get(0)
                    + (locks.size() == 1
                        ? " exists"
                        : " and " + (locks.size() - 1) + " more ref lock files exist")
                    + ": a git process is writing refs, or one was"
                    + " killed while it did; nothing was changed by this run. If no git process is running on this"
                    + " repository, remove "
                    + (locks.size() == 1 ? "that file" : "them")
                    + " and run repair again");
        return new Result(Outcome.GAVE_UP, last, null, attempt, step);
      }
      try (ObjectReader reader = repo.newObjectReader()) {
        Inventory inv = Inventory.read(repo, reader);
        Analysis a = new Analysis(inv, reader, new EtaProgressMonitor(io.err()), timesMemo);
        PersonIdent who =
            new PersonIdent(RepairPlanner.DEFAULT_IDENT, clock.instant(), ZoneOffset.UTC);
        plan = new RepairPlanner(a, threshold, mode, who).plan();
        last = plan;
        if (plan.isEmpty()) {
          return new Result(
              attempt == 1 ? Outcome.NOTHING_TO_DO : Outcome.REPAIRED, plan, null, attempt, step);
        }
        out.println(
            (dryRun ? "plan" : "attempt " + attempt)
                + " (mode "
                + mode.name().toLowerCase()
                + ", threshold "
                + threshold
                + "):");
        for (String l : plan.lines) {
          out.println("  " + l);
        }
        if (dryRun) {
          out.println("dry run: " + plan.summary() + "; nothing written");
          return new Result(Outcome.PLANNED, plan, null, attempt, step);
        }
        String ts = backupName();
        String moved;
        try {
          moved = apply(plan, inv.values, ts);
        } catch (RefWriter.WriteFailedException | InterruptedIOException e) {
          // not a concurrent push: planning again would not help, and must not be reported as a
          // race
          io.err()
              .println(
                  "checkpoint-guard repair: "
                      + e.getMessage()
                      + "; nothing more was changed, every"
                      + " step so far kept all checkpoints; run repair again"
                      + (e instanceof InterruptedIOException ? "" : " once the cause is fixed"));
          return new Result(Outcome.FAILED, plan, null, attempt, step);
        }
        if (moved == null) {
          out.println("applied: " + plan.summary());
          out.println(
              "backup: "
                  + ts
                  + " (undo with: "
                  + Invocation.of(io.env())
                      .command(
                          "restore",
                          "--repo",
                          repo.getDirectory().getAbsoluteFile().toPath().normalize().toString(),
                          "--backup",
                          ts)
                  + ")");
          return new Result(Outcome.REPAIRED, plan, ts, attempt, step);
        }
        io.err()
            .println(
                "checkpoint-guard repair: "
                    + moved
                    + "; planning again (attempt "
                    + attempt
                    + " of "
                    + MAX_ATTEMPTS
                    + ")");
      }
    }
    io.err()
        .println(
            "checkpoint-guard repair: stopped after "
                + MAX_ATTEMPTS
                + " attempts: refs kept changing under live pushes; nothing more was changed, every step so far"
                + " kept all checkpoints; run it again later");
    return new Result(Outcome.GAVE_UP, last, null, MAX_ATTEMPTS, step);
  }

  /**
   * Applies one plan; returns null when done, else why it stopped (a generation ref moved).
   *
   * @param planned every v2 ref's value when the plan was made; its generation refs ({@link
   *     #relied}) must all still hold before each batch, and are verified again inside each batch
   *     that can drop content
   */
  private String apply(RepairPlan plan, Map<String, ObjectId> planned, String ts)
      throws IOException {
    durable(repo);
    try (ObjectInserter ins = repo.newObjectInserter()) {
      plan.objects.writeAll(ins);
    }
    step("write " + plan.objects.size() + " new objects");
    List<RepairPlan.Update> backups = new ArrayList<>();
    List<RepairPlan.Update> results = new ArrayList<>();
    for (RepairPlan.Update u : plan.updates) {
      if (!u.isCreate()) {
        backups.add(
            new RepairPlan.Update(
                RefNames.BACKUP_PREFIX + ts + "/" + u.ref(),
                ObjectId.zeroId(),
                u.expected(),
                "back up " + u.ref()));
      }
      if (!u.isDelete()) {
        results.add(
            new RepairPlan.Update(
                RESULT_PREFIX + ts + "/" + u.ref(),
                ObjectId.zeroId(),
                u.next(),
                "record result of " + u.ref()));
      }
    }
    for (List<RepairPlan.Update> batch : batches(backups, batchSize)) {
      if (RefWriter.compareAndSetAll(repo, batch, "checkpoint-guard backup")
          == RefWriter.Result.MOVED) {
        return "a backup ref under " + RefNames.BACKUP_PREFIX + ts + "/ exists already";
      }
      step(describe(batch));
    }
    for (List<RepairPlan.Update> batch : batches(results, batchSize)) {
      if (RefWriter.compareAndSetAll(repo, batch, "checkpoint-guard result")
          == RefWriter.Result.MOVED) {
        return "a result ref under " + RESULT_PREFIX + ts + "/ exists already";
      }
      step(describe(batch));
    }
    Map<String, ObjectId> expected = relied(planned);
    java.util.Set<String> deleted = new java.util.HashSet<>();
    for (RepairPlan.Update u : plan.updates) {
      if (u.isDelete()) {
        deleted.add(u.ref());
      }
    }
    for (List<RepairPlan.Update> batch : batches(plan.updates, batchSize)) {
      for (RepairPlan.Update u : batch) {
        listener.beforeUpdate(u);
      }
      String moved = firstDifference(expected);
      if (moved != null) {
        return moved + " moved since it was planned";
      }
      listener.beforeWrite(batch);
      // creating archives drops nothing, so only batches that update or delete carry verify-only
      // commands; they come first, so that a ref database without transactions checks them first
      List<RepairPlan.Update> commands = new ArrayList<>();
      if (!batch.get(0).isCreate()) {
        commands.addAll(verifyOnly(expected, batch, deleted));
      }
      commands.addAll(batch);
      if (RefWriter.compareAndSetAll(repo, commands, "checkpoint-guard repair: " + describe(batch))
          == RefWriter.Result.MOVED) {
        return (batch.size() == 1 ? batch.get(0).ref() : "one of " + describe(batch))
            + " or a generation ref the plan relies on moved since it was planned (compare-and-set failed)";
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
   * The refs a plan relies on: {@code /full/current} and the archives. {@code /main} is left out
   * (its times only order checkpoints; a push to it does not change what the plan keeps), and so
   * are names no client produces (repair leaves them alone).
   */
  static Map<String, ObjectId> relied(Map<String, ObjectId> refs) {
    Map<String, ObjectId> out = new TreeMap<>();
    refs.forEach(
        (ref, id) -> {
          RefNames.Kind k = RefNames.kind(ref);
          if (k == RefNames.Kind.CURRENT || k == RefNames.Kind.ARCHIVE) {
            out.put(ref, id);
          }
        });
    return out;
  }

  /**
   * Verify-only commands (old = new) for every relied-on ref that {@code batch} does not change and
   * the plan does not delete: the content a batch drops is planned to live on in the refs the plan
   * keeps (fixed archives, new archives, {@code /full/current}), never in an archive it deletes
   * later. A deleted archive that moves meanwhile fails its own delete, which names its expected
   * value.
   */
  static List<RepairPlan.Update> verifyOnly(
      Map<String, ObjectId> expected,
      List<RepairPlan.Update> batch,
      java.util.Set<String> deleted) {
    Map<String, ObjectId> rest = new TreeMap<>(expected);
    rest.keySet().removeAll(deleted);
    for (RepairPlan.Update u : batch) {
      rest.remove(u.ref());
    }
    List<RepairPlan.Update> out = new ArrayList<>();
    rest.forEach((ref, id) -> out.add(new RepairPlan.Update(ref, id, id, "verify " + ref)));
    return out;
  }

  /**
   * The updates in plan order, cut into atomic batches: consecutive updates of one kind (creates,
   * updates, deletes), at most {@link #BATCH} each. The plan's order, and with it the guarantee
   * that no state in between loses a checkpoint, is kept: archives are all created before {@code
   * /full/current} moves, and deleted only after.
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

  /**
   * The first generation ref whose value differs from {@code expected} (added, removed or moved),
   * or null; {@code /main} and unknown names are not compared (see {@link #relied}).
   */
  private String firstDifference(Map<String, ObjectId> expected) throws IOException {
    Map<String, ObjectId> all = new TreeMap<>();
    for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
      all.put(r.getName(), r.getObjectId() == null ? ObjectId.zeroId() : r.getObjectId());
    }
    Map<String, ObjectId> now = relied(all);
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

  /**
   * Ends a step: tells the listener, then honours an interrupt (the caller cancels the run).
   * Between two steps every checkpoint is held, so stopping here loses nothing. The interrupt flag
   * stays set.
   */
  private void step(String what) throws IOException {
    step++;
    listener.afterStep(step, what);
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted after step " + step + " (" + what + ")");
    }
  }

  /** What the planning passes read from {@code /main}, by checkpoint directory tree id. */
  Map<ObjectId, CheckpointTimes.Times> timesMemo() {
    return timesMemo;
  }

  /**
   * The ref lock files of a repository on disk: {@code packed-refs.lock}, then {@code
   * refs/**.lock}.
   */
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
        s.filter(f -> f.getFileName().toString().endsWith(".lock"))
            .map(Object::toString)
            .sorted()
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
