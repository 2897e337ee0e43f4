package dev.checkpointguard.convert;

import dev.checkpointguard.admin.AdminTools;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.MainReader;
import dev.checkpointguard.core.PackOrder;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * Converts every v2 checkpoint that v1 lacks into the v1 layout today's client reads (spec v2-to-v1
 * §2, §6), on top of the server's current {@code refs/heads/entire/checkpoints/v1}.
 *
 * <p>One run: read the v2 refs and v1 (trees only), sort the scope into already in v1, not
 * convertible and to convert; read and verify what the checkpoints to convert hold ({@link
 * SourceReader}, {@link Sessions}); write each one's v1 directory (blobs reused, only summaries,
 * some session {@code metadata.json} files and trees are new); then one content commit on the v1
 * tip, one {@code Checkpoint: <id>} commit per converted checkpoint that has an author on {@code
 * /main} ({@link Authors}), and finally one atomic ref transaction: the backup of the old v1 tip,
 * the record of the new one, and the compare-and-set of v1 itself. When a client pushed v1 in
 * between, the transaction fails and the v1 part is planned again on the new tip (the checkpoint
 * directories are kept), at most {@link #MAX_ATTEMPTS} times.
 *
 * <p>Steps, for the crash tests: 1 = every new object written (objects alone change nothing a
 * reader sees); 2 = the ref transaction. A run killed anywhere leaves v1 as it was or as converted,
 * never in between; a rerun converts what is still missing and a rerun with nothing missing writes
 * nothing.
 */
final class Converter {
  static final int MAX_ATTEMPTS = 5;

  /**
   * Checkpoints read, verified and written together: what a chunk holds in memory is all a run
   * holds besides the ref snapshot, so the heap needed does not grow with the repository.
   */
  static volatile int chunk = 8192;

  /**
   * Author and committer of the commits this tool writes (not of the per-checkpoint author
   * commits).
   */
  static final String NAME = "checkpoint-guard convert";

  static final String EMAIL = "checkpoint-guard@localhost";

  /**
   * Session {@code metadata.json} and summaries above this are not converted (real ones are a few
   * KiB).
   */
  static final int MAX_METADATA_BYTES = 16 << 20;

  /** What a test crash does. */
  enum CrashMode {
    /** Throws {@link SimulatedCrash}. */
    THROW,
    /** Halts the JVM with 137. */
    HALT,
    /** Prints {@code checkpoint-guard convert: crash point <n> reached} and waits to be killed. */
    PAUSE
  }

  /**
   * Test switches; only tests construct anything but {@link #NONE}.
   *
   * @param announceWrites print {@code checkpoint-guard convert: writing objects} on standard error
   *     when the first object is about to be written (tests that kill the process while it writes)
   */
  record Hooks(int crashAfterStep, CrashMode crashMode, boolean announceWrites) {
    static final Hooks NONE = new Hooks(-1, CrashMode.THROW, false);

    Hooks(int crashAfterStep, CrashMode crashMode) {
      this(crashAfterStep, crashMode, false);
    }
  }

  /** Observes a run; tests use it to push to v1 between planning and writing. */
  interface Listener {
    /** After the objects of an attempt are written, just before its ref transaction. */
    default void beforeRefs(int attempt) throws IOException {}

    Listener NONE = new Listener() {};
  }

  /** Thrown by the crash hook. */
  static final class SimulatedCrash extends Error {
    SimulatedCrash(int step) {
      super("simulated crash after step " + step + " (test hook)");
    }
  }

  private final Repository repo;
  private final Io io;
  private final Clock clock;
  private final boolean dryRun;
  private final Hooks hooks;
  private final Listener listener;
  private int step;

  Converter(Repository repo, Io io, Clock clock, boolean dryRun, Hooks hooks, Listener listener) {
    this.repo = repo;
    this.io = io;
    this.clock = clock;
    this.dryRun = dryRun;
    this.hooks = hooks == null ? Hooks.NONE : hooks;
    this.listener = listener == null ? Listener.NONE : listener;
  }

  ConvertReport run() throws IOException {
    ConvertReport report = new ConvertReport(dryRun);
    if (!dryRun) {
      List<String> locks = AdminTools.leftLocks(repo);
      if (!locks.isEmpty()) {
        report.gaveUp =
            locks.get(0)
                + (locks.size() == 1
                    ? " exists"
                    : " and " + (locks.size() - 1) + " more ref lock files exist")
                + ": a git process is writing refs, or one was killed while it"
                + " did; nothing was changed by this run. If no git process is running on this repository,"
                + " remove "
                + (locks.size() == 1 ? "that file" : "them")
                + " and run convert again";
        return report;
      }
      AdminTools.durable(repo);
    }
    ProgressMonitor pm = AdminTools.progress(io);
    try (ObjectReader reader = repo.newObjectReader()) {
      PackOrder order = PackOrder.of(repo.getObjectDatabase());
      Sources s = Sources.read(repo, reader);
      s.ignored.forEach(i -> report.ignoredRefs.add(i.ref() + " (" + i.why() + ")"));
      long[] scope = s.scope();
      report.scope = scope.length;
      report.v1Before = s.v1Tip;
      // 1. sort the scope: in v1 already, blocked by v1, or to read
      Map<Long, String> v1State = V1Dirs.classify(reader, order, s.v1Dirs, scope);
      List<Long> toRead = new ArrayList<>();
      for (long id : scope) {
        String st = v1State.get(id);
        if (st == null) {
          toRead.add(id);
        } else if (st.equals(V1Dirs.PRESENT)) {
          report.already.add(id);
        } else {
          report.refused.add(new ConvertReport.Refused(id, st));
        }
      }
      // 2. chunk by chunk in pack order: read and verify v2, write each checkpoint's v1 directory
      Map<Long, PersonIdent> authors = Authors.find(reader, s.mainTip, new HashSet<>(toRead), pm);
      Instant mainTime = s.mainTip == null ? clock.instant() : commitTime(reader, s.mainTip);
      List<CheckpointSource> done = new ArrayList<>();
      try (ObjectInserter ins = inserter()) {
        SortedMap<Long, ObjectId> dirs = new TreeMap<>();
        Map<Integer, ObjectInserter> inserters = new java.util.concurrent.ConcurrentHashMap<>();
        Map<Integer, ObjectReader> readers = new java.util.concurrent.ConcurrentHashMap<>();
        inserters.put(0, ins);
        readers.put(0, reader);
        if (hooks.announceWrites()) {
          io.err().println("checkpoint-guard convert: writing objects");
          io.err().flush();
        }
        pm.beginTask("Converting checkpoints", toRead.size());
        List<Long> ordered =
            order.sort(toRead, id -> s.mainDirs.getOrDefault(id, ObjectId.zeroId()));
        Map<Long, ObjectId> written = new java.util.concurrent.ConcurrentHashMap<>();
        try {
          for (int from = 0; from < ordered.size(); from += chunk) {
            List<Long> part = ordered.subList(from, Math.min(ordered.size(), from + chunk));
            List<CheckpointSource> sources =
                new SourceReader(reader, order)
                    .read(
                        s,
                        part.stream().mapToLong(Long::longValue).toArray(),
                        NullProgressMonitor.INSTANCE);
            List<CheckpointSource> convertible = new ArrayList<>();
            for (CheckpointSource cp : sources) {
              if (cp.problem == null) {
                convertible.add(cp);
              } else {
                pm.update(1);
              }
            }
            Parallel.run(
                order.sort(convertible, c -> c.summary),
                (slice, items) -> {
                  ObjectInserter mine = inserters.computeIfAbsent(slice, k -> inserter());
                  ObjectReader r = readers.computeIfAbsent(slice, k -> repo.newObjectReader());
                  CheckpointWriter w = new CheckpointWriter(r, mine, report);
                  for (CheckpointSource cp : items) {
                    PersonIdent a = authors.get(cp.id);
                    ObjectId dir =
                        w.write(
                            cp,
                            a != null ? a.getWhenAsInstant() : mainTime,
                            a != null
                                ? "the author time of its Checkpoint commit on /main"
                                : "the /main tip's commit time");
                    if (dir != null) {
                      written.put(cp.id, dir);
                    }
                    cp.sessions.clear(); // the report needs only the notes from here on
                    synchronized (pm) {
                      pm.update(1);
                    }
                  }
                });
            done.addAll(sources);
          }
          for (Map.Entry<Integer, ObjectInserter> x : inserters.entrySet()) {
            if (x.getKey() > 0) {
              x.getValue().flush(); // before any ref can point at what they wrote
            }
          }
        } finally {
          for (Map.Entry<Integer, ObjectInserter> x : inserters.entrySet()) {
            if (x.getKey() > 0) {
              x.getValue().close();
              readers.get(x.getKey()).close();
            }
          }
        }
        dirs.putAll(written);
        pm.endTask();
        for (CheckpointSource cp : done) {
          if (cp.problem != null) {
            report.refused.add(new ConvertReport.Refused(cp.id, cp.problem));
          }
        }
        report.refused.sort(Comparator.comparingLong(ConvertReport.Refused::id));
        // 3. v1: on the current tip, compare-and-set, planned again when v1 moved
        write(reader, ins, s, dirs, done, authors, report, pm);
      }
    }
    report.already.sort(Long::compare);
    report.converted.sort(Comparator.comparingLong(ConvertReport.Converted::id));
    return report;
  }

  private void write(
      ObjectReader reader,
      ObjectInserter ins,
      Sources s,
      SortedMap<Long, ObjectId> dirs,
      List<CheckpointSource> sources,
      Map<Long, PersonIdent> authors,
      ConvertReport report,
      ProgressMonitor pm)
      throws IOException {
    Map<Long, CheckpointSource> byId = new HashMap<>();
    sources.forEach(cp -> byId.put(cp.id, cp));
    ObjectId tip = s.v1Tip;
    ObjectId tree = s.v1Tree;
    SortedMap<Long, ObjectId> v1Dirs = s.v1Dirs;
    SortedMap<Long, ObjectId> pending = new TreeMap<>(dirs);
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      report.attempts = attempt;
      // a client may have pushed some of these checkpoints meanwhile: they are in v1 now
      for (long id : new ArrayList<>(pending.keySet())) {
        if (v1Dirs.containsKey(id)) {
          pending.remove(id);
          report.already.add(id);
        }
      }
      report.converted.clear();
      if (pending.isEmpty()) {
        return; // nothing to write
      }
      V1Writer.Result r = V1Writer.write(reader, ins, tip, tree, pending, authors, ident(), pm);
      for (Map.Entry<Long, String> c : r.conflicts().entrySet()) {
        pending.remove(c.getKey());
        report.refused.add(new ConvertReport.Refused(c.getKey(), c.getValue()));
      }
      report.refused.sort(Comparator.comparingLong(ConvertReport.Refused::id));
      for (long id : r.written()) {
        CheckpointSource cp = byId.get(id);
        report.converted.add(
            new ConvertReport.Converted(
                id, cp.v1Sessions, authors.containsKey(id), List.copyOf(cp.notes)));
      }
      if (r.commit() == null) {
        return;
      }
      report.commits = r.commits();
      if (dryRun) {
        report.v1After = r.commit();
        return;
      }
      ins.flush();
      step(
          "write "
              + r.commits()
              + " commit(s) and the objects of "
              + r.written().size()
              + " checkpoint(s)");
      listener.beforeRefs(attempt);
      String ts = AdminTools.backupName(repo, clock.instant());
      List<RefChange> tx = new ArrayList<>();
      if (tip != null) {
        tx.add(RefChange.create(RefNames.BACKUP_PREFIX + ts + "/" + RefNames.V1, tip));
      }
      tx.add(RefChange.create(RefNames.RESULT_PREFIX + ts + "/" + RefNames.V1, r.commit()));
      tx.add(new RefChange(RefNames.V1, tip == null ? ObjectId.zeroId() : tip, r.commit()));
      if (AdminTools.compareAndSetAll(repo, tx, "checkpoint-guard convert")) {
        report.v1After = r.commit();
        report.backup = ts;
        step("set " + RefNames.V1 + " with backup " + ts);
        return;
      }
      // v1 moved (a client pushed): plan the v1 part again on its new tip
      io.err()
          .println(
              "checkpoint-guard convert: "
                  + RefNames.V1
                  + " moved since it was read; writing again on"
                  + " its new tip (attempt "
                  + (attempt + 1)
                  + " of "
                  + MAX_ATTEMPTS
                  + ")");
      try (RevWalk walk = new RevWalk(reader)) {
        ObjectId now = AdminTools.read(repo, RefNames.V1);
        if (now.equals(ObjectId.zeroId())) {
          tip = null;
          tree = null;
          v1Dirs = new TreeMap<>();
        } else {
          RevCommit c = walk.parseCommit(now);
          tip = c.copy();
          tree = c.getTree().copy();
          v1Dirs = new CheckpointTrees(reader, null).directories(tree);
        }
      }
    }
    report.converted.clear();
    report.gaveUp =
        RefNames.V1
            + " kept moving under live pushes ("
            + MAX_ATTEMPTS
            + " attempts); nothing was"
            + " changed; run convert again later";
  }

  private PersonIdent ident() {
    return new PersonIdent(NAME, EMAIL, clock.instant(), ZoneOffset.UTC);
  }

  private ObjectInserter inserter() {
    if (dryRun) {
      return new DryRun();
    }
    if (repo.getObjectDatabase() instanceof ObjectDirectory d) {
      PackInserter p = d.newPackInserter();
      p.checkExisting(
          false); // a copy of an object that exists elsewhere is harmless; the lookup is not free
      p.setCompressionLevel(1); // small objects, one pass; the next git gc repacks them anyway
      return p;
    }
    return repo.newObjectInserter();
  }

  private static Instant commitTime(ObjectReader reader, ObjectId commit) throws IOException {
    try (RevWalk w = new RevWalk(reader)) {
      return w.parseCommit(commit).getCommitterIdent().getWhenAsInstant();
    }
  }

  private void step(String what) {
    step++;
    if (step != hooks.crashAfterStep()) {
      return;
    }
    switch (hooks.crashMode()) {
      case HALT -> {
        io.out().flush();
        io.err().flush();
        Runtime.getRuntime().halt(137);
      }
      case PAUSE -> {
        io.out().flush();
        io.err()
            .println("checkpoint-guard convert: crash point " + step + " reached (" + what + ")");
        io.err().flush();
        while (true) {
          try {
            Thread.sleep(60_000);
          } catch (InterruptedException e) {
            // only a kill ends this test hook
          }
        }
      }
      default -> {}
    }
    throw new SimulatedCrash(step);
  }

  /**
   * Reads a small blob as text; null when it is missing or larger than {@link #MAX_METADATA_BYTES}.
   */
  static String text(ObjectReader reader, ObjectId blob) throws IOException {
    return MainReader.text(reader, blob, MAX_METADATA_BYTES);
  }

  /** The empty tree, inserted (it need not exist in a repository yet). */
  static ObjectId emptyTree(ObjectInserter ins) throws IOException {
    return ins.insert(new TreeFormatter());
  }

  static ObjectId commit(
      ObjectInserter ins,
      ObjectId tree,
      ObjectId parent,
      PersonIdent author,
      PersonIdent committer,
      String message)
      throws IOException {
    CommitBuilder cb = new CommitBuilder();
    cb.setTreeId(tree);
    if (parent != null) {
      cb.setParentId(parent);
    }
    cb.setAuthor(author);
    cb.setCommitter(committer);
    cb.setMessage(message);
    return ins.insert(cb);
  }

  /** Computes the ids of what a dry run would write, and writes nothing. */
  private static final class DryRun extends ObjectInserter.Formatter {
    @Override
    public ObjectId insert(int type, byte[] data, int off, int len) {
      return idFor(type, data, off, len);
    }

    @Override
    public ObjectId insert(int type, long len, java.io.InputStream in) throws IOException {
      return idFor(type, len, in);
    }
  }
}
