package dev.checkpointguard.convert;

import dev.checkpointguard.core.MainReader;
import dev.checkpointguard.core.PackOrder;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Reads what v2 holds about a set of checkpoints, level by level, each level in pack order ({@link
 * PackOrder}): the checkpoint directories on {@code /main} and in every {@code /full/*} ref, then
 * their session directories, then the transcripts' hash files and the transcripts themselves, which
 * are verified. Session {@code metadata.json} and summaries are not read here ({@link Converter}
 * reads them checkpoint by checkpoint when it writes).
 */
final class SourceReader {
  private final ObjectReader reader;
  private final PackOrder order;

  SourceReader(ObjectReader reader, PackOrder order) {
    this.reader = reader;
    this.order = order;
  }

  /** A {@code /full} tree to read and whom it belongs to. */
  private record Job(CheckpointSource cp, String ref, int session, ObjectId tree) {}

  /**
   * The sources of {@code ids} (ascending), in that order.
   *
   * @param pm progress: one unit per tree and per transcript read
   */
  List<CheckpointSource> read(Sources s, long[] ids, ProgressMonitor pm) throws IOException {
    Map<Long, CheckpointSource> out = new LinkedHashMap<>(ids.length * 2);
    List<Job> dirs = new ArrayList<>();
    List<Map.Entry<Long, ObjectId>> main = new ArrayList<>();
    for (long id : ids) {
      CheckpointSource cp = new CheckpointSource(id);
      out.put(id, cp);
      ObjectId m = s.mainDirs.get(id);
      if (m != null) {
        cp.mainDir = m;
        main.add(Map.entry(id, m));
      }
    }
    // /main: the shared reader of checkpoint metadata directories, a slice of them per thread
    Parallel.run(
        order.sort(main, Map.Entry::getValue),
        (slice, items) -> {
          try (ObjectReader own = slice == 0 ? null : reader.newReader()) {
            Map<Long, ObjectId> mine = new LinkedHashMap<>();
            items.forEach(e -> mine.put(e.getKey(), e.getValue()));
            for (MainReader.Checkpoint c :
                new MainReader(slice == 0 ? reader : own, order).directories(mine)) {
              CheckpointSource cp = out.get(c.id());
              synchronized (cp) {
                if (!c.readable()) {
                  cp.fail("the checkpoint directory on /main cannot be read");
                }
                cp.summary = c.summary();
                for (MainReader.Session x : c.sessions()) {
                  CheckpointSource.Session session = cp.session(x.index());
                  session.metadata = x.metadata();
                  session.prompt = x.files().get("prompt.txt");
                  session.compact = x.files().get("transcript.jsonl");
                }
              }
            }
          }
        });
    for (Sources.Generation g : s.generations) {
      for (Map.Entry<Long, ObjectId> d : g.dirs().entrySet()) {
        CheckpointSource cp = out.get(d.getKey());
        if (cp != null) {
          dirs.add(new Job(cp, g.ref(), -1, d.getValue()));
        }
      }
    }
    pm.beginTask("Reading /full checkpoint directories", dirs.size());
    List<Job> sessions = java.util.Collections.synchronizedList(new ArrayList<>());
    Parallel.run(
        order.sort(dirs, Job::tree),
        (slice, items) -> {
          try (ObjectReader own = slice == 0 ? null : reader.newReader()) {
            List<Job> found = new ArrayList<>();
            for (Job j : items) {
              checkpointDir(slice == 0 ? reader : own, j, found);
              synchronized (pm) {
                pm.update(1);
              }
            }
            sessions.addAll(found);
          }
        });
    pm.endTask();
    pm.beginTask("Reading session directories", sessions.size());
    Parallel.run(
        order.sort(sessions, Job::tree),
        (slice, items) -> {
          try (ObjectReader own = slice == 0 ? null : reader.newReader()) {
            for (Job j : items) {
              sessionDir(slice == 0 ? reader : own, j);
              synchronized (pm) {
                pm.update(1);
              }
            }
          }
        });
    pm.endTask();
    verify(new ArrayList<>(out.values()), pm);
    for (CheckpointSource cp : out.values()) {
      Sessions.check(cp, reader);
    }
    return new ArrayList<>(out.values());
  }

  /**
   * Reads one checkpoint directory and adds its session directories to {@code sessions}. Threads
   * read different directories of one checkpoint at once, so what goes into the checkpoint is
   * written under its lock.
   */
  private static void checkpointDir(ObjectReader reader, Job j, List<Job> sessions)
      throws IOException {
    CanonicalTreeParser p = parser(reader, j.tree());
    CheckpointSource cp = j.cp();
    if (p == null) {
      synchronized (cp) {
        cp.fail("the checkpoint directory " + where(j) + " cannot be read");
      }
      return;
    }
    List<Job> mine = new ArrayList<>();
    for (; !p.eof(); p.next()) {
      if (FileMode.TREE.equals(p.getEntryRawMode())) {
        int n = sessionIndex(p.getEntryPathString());
        if (n >= 0) {
          mine.add(new Job(cp, j.ref(), n, p.getEntryObjectId()));
        }
      }
    }
    synchronized (cp) {
      for (Job s : mine) {
        cp.session(s.session()).inFull = true;
      }
    }
    sessions.addAll(mine);
  }

  /**
   * Reads one {@code /full} session directory into its session (under the checkpoint's lock, as
   * above).
   */
  private static void sessionDir(ObjectReader reader, Job j) throws IOException {
    CanonicalTreeParser p = parser(reader, j.tree());
    CheckpointSource cp = j.cp();
    if (p == null) {
      synchronized (cp) {
        cp.fail("session directory " + j.session() + " " + where(j) + " cannot be read");
      }
      return;
    }
    Candidate raw = new Candidate(j.ref(), false);
    Candidate legacy = new Candidate(j.ref(), true);
    List<Object[]> tasks = new ArrayList<>();
    for (; !p.eof(); p.next()) {
      String name = p.getEntryPathString();
      if (name.equals("tasks") && FileMode.TREE.equals(p.getEntryRawMode())) {
        tasks.add(new Object[] {j.ref(), p.getEntryObjectId()});
      } else if (isFile(p) && !raw.offer(name, p.getEntryObjectId())) {
        legacy.offer(name, p.getEntryObjectId());
      }
    }
    synchronized (cp) {
      CheckpointSource.Session s = cp.session(j.session());
      s.tasks.addAll(tasks);
      for (Candidate c : List.of(raw, legacy)) {
        if (c.hasChunks() || c.oddName != null) {
          s.candidates.add(c);
        }
      }
    }
  }

  /** Reads every hash file, then every distinct transcript copy, each list in pack order. */
  private void verify(List<CheckpointSource> cps, ProgressMonitor pm) throws IOException {
    Map<String, Candidate> distinct = new HashMap<>();
    List<Candidate> all = new ArrayList<>();
    for (CheckpointSource cp : cps) {
      for (CheckpointSource.Session s : cp.sessions.values()) {
        all.addAll(s.candidates);
      }
    }
    List<Candidate> unique = new ArrayList<>();
    for (Candidate c : all) {
      if (distinct.putIfAbsent(c.key(), c) == null) {
        unique.add(c);
      }
    }
    List<Candidate> withHash = new ArrayList<>();
    for (Candidate c : unique) {
      if (c.hashBlob != null) {
        withHash.add(c);
      }
    }
    for (Candidate c : order.sort(withHash, x -> x.hashBlob)) {
      c.readHash(reader);
    }
    List<Candidate> checkable = new ArrayList<>();
    for (Candidate c : unique) {
      if (c.hashBlob == null || !c.hasChunks()) {
        c.readHash(reader); // no hash file, or odd names only: sets the status
      }
      if (c.hasChunks()) {
        checkable.add(c);
      }
    }
    pm.beginTask("Verifying transcripts", checkable.size());
    Parallel.run(
        order.sort(checkable, Candidate::firstChunk),
        (slice, items) -> {
          try (ObjectReader own = slice == 0 ? null : reader.newReader()) {
            for (Candidate c : items) {
              c.verify(slice == 0 ? reader : own);
              synchronized (pm) {
                pm.update(1);
              }
            }
          }
        });
    pm.endTask();
    for (Candidate c : all) {
      Candidate same = distinct.get(c.key());
      if (same != c) {
        c.status = same.status;
        c.claimed = same.claimed;
        c.size = same.size;
      }
    }
  }

  /** A parser on {@code tree}, or null when it is missing or not a tree. */
  private static CanonicalTreeParser parser(ObjectReader reader, ObjectId tree) throws IOException {
    CanonicalTreeParser p = new CanonicalTreeParser();
    try {
      p.reset(reader, tree);
      return p;
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      return null;
    }
  }

  private static String where(Job j) {
    return j.ref() == null ? "on /main" : "in " + RefNames.shortName(j.ref());
  }

  /**
   * The index of a session directory name ({@link MainReader#sessionIndex}); -1 for other names.
   */
  static int sessionIndex(String name) {
    return MainReader.sessionIndex(name);
  }

  static boolean isFile(CanonicalTreeParser p) {
    return FileMode.REGULAR_FILE.equals(p.getEntryRawMode())
        || FileMode.EXECUTABLE_FILE.equals(p.getEntryRawMode());
  }
}
