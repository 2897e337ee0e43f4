package dev.checkpointguard.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What an update of a generation ref drops, in the units of spec §10.2 (a): the raw transcript
 * files ({@code <id>/<n>/raw_transcript}, {@code raw_transcript.NNN}, legacy {@code full.jsonl},
 * {@code full.jsonl.NNN}) that the old tree has and the new tree lacks, and, for a checkpoint
 * directory that holds no transcript file and disappears, the checkpoint ID itself. Blobs may
 * change (a finalize replaces a transcript); paths may not disappear.
 *
 * <p>Checkpoint IDs alone are not enough (a checkpoint's session 0 can be archived while its
 * session 1 is only in {@code /full/current}), and neither are session directories (a tree of
 * {@code tasks/} files keeps every directory and drops every transcript): spec §10.4 item 6.
 *
 * <p>Built by {@link CheckpointTrees#loss} and narrowed by {@link CheckpointTrees#cover}: a
 * coverage check removes what an archive's tip tree holds. A directory that the new tree lacks is
 * kept by tree id and read only when a check or a message needs its files, so a rotation reset,
 * whose archive holds the very same shard trees, is proved covered without reading a single
 * checkpoint directory.
 *
 * <p>Mutable; lives for one evaluation. Not thread-safe.
 */
public final class Loss {
  /** The lost units of one checkpoint directory of the old tree. */
  static final class Dir {
    final long id;

    /** The shard name's two raw bytes, {@code hi << 8 | lo}. */
    final int shard;

    /** The old tree's shard tree and checkpoint directory tree. */
    final ObjectId shardTree;

    final ObjectId dirTree;

    /**
     * The lost files, relative to the checkpoint directory ({@code <session>/<file>}), sorted; null
     * while the whole directory is lost and has not been read.
     */
    List<String> paths;

    /** The directory holds no transcript file and disappears: its ID is the lost unit. */
    boolean idOnly;

    Dir(long id, int shard, ObjectId shardTree, ObjectId dirTree, List<String> paths) {
      this.id = id;
      this.shard = shard;
      this.shardTree = shardTree;
      this.dirTree = dirTree;
      this.paths = paths;
    }

    boolean expanded() {
      return paths != null;
    }
  }

  private final TreeMap<Long, Dir> dirs = new TreeMap<>();

  Loss() {}

  /** Nothing is lost. */
  public boolean isEmpty() {
    return dirs.isEmpty();
  }

  /** The number of checkpoints with something lost. */
  public int checkpoints() {
    return dirs.size();
  }

  /** The IDs of the checkpoints with something lost, ascending. */
  public CheckpointSet ids() {
    CheckpointSet.Builder b = new CheckpointSet.Builder();
    dirs.keySet().forEach(b::add);
    return b.build();
  }

  /**
   * The number of lost transcript files; every directory must be {@link CheckpointTrees#expand
   * expanded}.
   */
  public int files() {
    int n = 0;
    for (Dir d : dirs.values()) {
      n += requireExpanded(d).paths.size();
    }
    return n;
  }

  /** The number of lost checkpoint directories without transcripts (their IDs are the units). */
  public int idOnly() {
    int n = 0;
    for (Dir d : dirs.values()) {
      n += requireExpanded(d).idOnly ? 1 : 0;
    }
    return n;
  }

  /**
   * The first {@code limit} lost units in ID order, as {@code <id>/<session>/<file>} or, for a
   * directory without transcripts, {@code <id>}; every directory must be expanded.
   */
  public List<String> examples(int limit) {
    List<String> out = new ArrayList<>(Math.min(limit, 16));
    for (Dir d : dirs.values()) {
      requireExpanded(d);
      String id = CheckpointIds.format(d.id);
      if (d.idOnly) {
        out.add(id);
      } else {
        for (String p : d.paths) {
          if (out.size() >= limit) {
            return out;
          }
          out.add(id + "/" + p);
        }
      }
      if (out.size() >= limit) {
        return out;
      }
    }
    return out;
  }

  void add(Dir d) {
    dirs.put(d.id, d);
  }

  void remove(long id) {
    dirs.remove(id);
  }

  Collection<Dir> dirs() {
    return Collections.unmodifiableCollection(dirs.values());
  }

  private static Dir requireExpanded(Dir d) {
    if (!d.expanded()) {
      throw new IllegalStateException("checkpoint " + CheckpointIds.format(d.id) + " not expanded");
    }
    return d;
  }

  @Override
  public String toString() {
    return "Loss[" + dirs.size() + " checkpoints]";
  }
}
