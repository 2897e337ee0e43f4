package dev.checkpointguard.convert;

import dev.checkpointguard.core.PackOrder;
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
 * Reads what v2 holds about a set of checkpoints, level by level, each level in pack order
 * ({@link PackOrder}): the checkpoint directories on {@code /main} and in every {@code /full/*} ref, then
 * their session directories, then the transcripts' hash files and the transcripts themselves, which are
 * verified. Session {@code metadata.json} and summaries are not read here ({@link Converter} reads them
 * checkpoint by checkpoint when it writes).
 */
final class SourceReader {
  private final ObjectReader reader;
  private final PackOrder order;

  SourceReader(ObjectReader reader, PackOrder order) {
    this.reader = reader;
    this.order = order;
  }

  /** A tree to read and whom it belongs to. */
  private record Job(CheckpointSource cp, String ref, int session, ObjectId tree) {}

  /**
   * The sources of {@code ids} (ascending), in that order.
   *
   * @param pm progress: one unit per tree and per transcript read
   */
  List<CheckpointSource> read(Sources s, long[] ids, ProgressMonitor pm) throws IOException {
    Map<Long, CheckpointSource> out = new LinkedHashMap<>(ids.length * 2);
    List<Job> dirs = new ArrayList<>();
    for (long id : ids) {
      CheckpointSource cp = new CheckpointSource(id);
      out.put(id, cp);
      ObjectId m = s.mainDirs.get(id);
      if (m != null) {
        cp.mainDir = m;
        dirs.add(new Job(cp, null, -1, m));
      }
    }
    for (Sources.Generation g : s.generations) {
      for (Map.Entry<Long, ObjectId> d : g.dirs().entrySet()) {
        CheckpointSource cp = out.get(d.getKey());
        if (cp != null) {
          dirs.add(new Job(cp, g.ref(), -1, d.getValue()));
        }
      }
    }
    pm.beginTask("Reading checkpoint directories", dirs.size());
    List<Job> sessions = java.util.Collections.synchronizedList(new ArrayList<>());
    Parallel.run(order.sort(dirs, Job::tree), (slice, items) -> {
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
    Parallel.run(order.sort(sessions, Job::tree), (slice, items) -> {
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
   * Reads one checkpoint directory and adds its session directories to {@code sessions}. Threads read
   * different directories of one checkpoint at once, so what goes into the checkpoint is written under its
   * lock.
   */
  private static void checkpointDir(ObjectReader reader, Job j, List<Job> sessions) throws IOException {
    CanonicalTreeParser p = parser(reader, j.tree());
    CheckpointSource cp = j.cp();
    if (p == null) {
      synchronized (cp) {
        cp.fail("the checkpoint directory " + where(j) + " cannot be read");
      }
      return;
    }
    ObjectId summary = null;
    List<Job> mine = new ArrayList<>();
    for (; !p.eof(); p.next()) {
      String name = p.getEntryPathString();
      boolean tree = FileMode.TREE.equals(p.getEntryRawMode());
      if (j.ref() == null && name.equals("metadata.json") && isFile(p)) {
        summary = p.getEntryObjectId();
      } else if (tree) {
        int n = sessionIndex(name);
        if (n >= 0) {
          mine.add(new Job(cp, j.ref(), n, p.getEntryObjectId()));
        }
      }
    }
    synchronized (cp) {
      if (summary != null) {
        cp.summary = summary;
      }
      for (Job s : mine) {
        CheckpointSource.Session x = cp.session(s.session());
        if (j.ref() != null) {
          x.inFull = true;
        }
      }
    }
    sessions.addAll(mine);
  }

  /** Reads one session directory into its session (under the checkpoint's lock, as above). */
  private static void sessionDir(ObjectReader reader, Job j) throws IOException {
    CanonicalTreeParser p = parser(reader, j.tree());
    CheckpointSource cp = j.cp();
    if (p == null) {
      synchronized (cp) {
        cp.fail("session directory " + j.session() + " in " + where(j) + " cannot be read");
      }
      return;
    }
    if (j.ref() == null) {
      ObjectId metadata = null;
      ObjectId prompt = null;
      ObjectId compact = null;
      for (; !p.eof(); p.next()) {
        if (!isFile(p)) {
          continue;
        }
        switch (p.getEntryPathString()) {
          case "metadata.json" -> metadata = p.getEntryObjectId();
          case "prompt.txt" -> prompt = p.getEntryObjectId();
          case "transcript.jsonl" -> compact = p.getEntryObjectId();
          default -> { }
        }
      }
      synchronized (cp) {
        CheckpointSource.Session s = cp.session(j.session());
        s.metadata = metadata;
        s.prompt = prompt;
        s.compact = compact;
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
    Parallel.run(order.sort(checkable, Candidate::firstChunk), (slice, items) -> {
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
    return j.ref() == null ? "on /main" : "in " + dev.checkpointguard.core.RefNames.shortName(j.ref());
  }

  /**
   * The index of a session directory: plain decimal as the client writes it ({@code strconv.Itoa}); -1
   * for any other name (the client would not look it up by index).
   */
  static int sessionIndex(String name) {
    if (name.isEmpty() || name.length() > 9) {
      return -1;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
    }
    if (name.length() > 1 && name.charAt(0) == '0') {
      return -1;
    }
    return Integer.parseInt(name);
  }

  static boolean isFile(CanonicalTreeParser p) {
    return FileMode.REGULAR_FILE.equals(p.getEntryRawMode())
        || FileMode.EXECUTABLE_FILE.equals(p.getEntryRawMode());
  }
}
