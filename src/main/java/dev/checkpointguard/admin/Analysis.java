package dev.checkpointguard.admin;

import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointTimes;
import dev.checkpointguard.core.GenerationJson;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.ProgressMonitor;

/**
 * What {@code check} and {@code repair} derive from an {@link Inventory}: each checkpoint's times
 * from {@code /main} (the §8.1 ordering key and the §5.2 range), where each checkpoint lives, and
 * how copies of one checkpoint in several generations relate (split, duplicate, diverged).
 */
final class Analysis {
  /** How the copies of one checkpoint in two generations relate, path by path. */
  enum Overlap {
    /** No path in common: sessions split between generations (spec §10.4.6), legitimate. */
    SPLIT,
    /** Some paths held by both with the same blob: a copy (rehydration, interrupted repair). */
    DUPLICATE,
    /** Some path held by both with different blobs. */
    DIVERGED
  }

  final Inventory inv;
  final Map<Long, CheckpointTimes.Times> times;

  /** Checkpoint → generations holding it, in {@link Inventory#generations()} order. */
  final Map<Long, List<Inventory.Generation>> where = new HashMap<>();

  private final ObjectReader reader;
  private final CheckpointTimes timesReader;
  private final Map<ObjectId, SortedMap<String, PlannedObjects.Entry>> flat = new HashMap<>();
  private final PlannedObjects flattener;

  Analysis(Inventory inv, ObjectReader reader, ProgressMonitor pm) throws IOException {
    this(inv, reader, pm, new HashMap<>());
  }

  /** {@code timesMemo}: see {@link CheckpointTimes#CheckpointTimes(ObjectReader, Map)}. */
  Analysis(
      Inventory inv,
      ObjectReader reader,
      ProgressMonitor pm,
      Map<ObjectId, CheckpointTimes.Times> timesMemo)
      throws IOException {
    this.inv = inv;
    this.reader = reader;
    this.timesReader = new CheckpointTimes(reader, timesMemo);
    this.flattener = new PlannedObjects(reader);
    CheckpointSet.Builder all = new CheckpointSet.Builder();
    for (Inventory.Generation g : inv.generations()) {
      for (Long id : g.dirs().keySet()) {
        where.computeIfAbsent(id, k -> new ArrayList<>(1)).add(g);
        all.add(id);
      }
    }
    this.times = timesReader.fromMain(inv.mainTree, all.build(), pm);
  }

  /** The §8.1 ordering key: the last session's {@code created_at} on /main, or null. */
  Instant createdAt(long id) {
    CheckpointTimes.Times t = times.get(id);
    return t == null ? null : t.created();
  }

  /** Checkpoints held by more than one generation. */
  List<Long> shared() {
    List<Long> out = new ArrayList<>();
    where.forEach(
        (id, gens) -> {
          if (gens.size() > 1) {
            out.add(id);
          }
        });
    out.sort(Long::compare);
    return out;
  }

  /** The files of a checkpoint directory, memoised per tree id. */
  SortedMap<String, PlannedObjects.Entry> files(ObjectId dir) throws IOException {
    SortedMap<String, PlannedObjects.Entry> f = flat.get(dir);
    if (f == null) {
      f = flattener.flatten(dir);
      flat.put(dir, f);
    }
    return f;
  }

  /**
   * How two copies of a checkpoint relate; an identical directory is a {@link Overlap#DUPLICATE}.
   */
  Overlap overlap(ObjectId dirA, ObjectId dirB) throws IOException {
    if (dirA.equals(dirB)) {
      return Overlap.DUPLICATE;
    }
    SortedMap<String, PlannedObjects.Entry> a = files(dirA);
    SortedMap<String, PlannedObjects.Entry> b = files(dirB);
    Overlap o = Overlap.SPLIT;
    for (Map.Entry<String, PlannedObjects.Entry> e : a.entrySet()) {
      PlannedObjects.Entry other = b.get(e.getKey());
      if (other == null) {
        continue;
      }
      if (!other.equals(e.getValue())) {
        return Overlap.DIVERGED;
      }
      o = Overlap.DUPLICATE;
    }
    return o;
  }

  /**
   * The envelope the client's rotation would write for these checkpoint directories (§5.2): per
   * checkpoint the {@code created_at} range from {@code /main}, else the transcript range of its
   * directory; null when some checkpoint yields neither (the client then falls back to commit
   * times).
   */
  GenerationJson envelope(Map<Long, ObjectId> dirs) throws IOException {
    GenerationJson env = null;
    for (Map.Entry<Long, ObjectId> d : dirs.entrySet()) {
      CheckpointTimes.Times t = times.get(d.getKey());
      GenerationJson r = t == null ? null : t.range();
      if (r == null) {
        r = timesReader.fromTranscripts(d.getValue());
      }
      if (r == null) {
        return null;
      }
      env = env == null ? r : env.merge(r);
    }
    return env;
  }

  ObjectReader reader() {
    return reader;
  }
}
