package dev.checkpointguard.core;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Reads the set of checkpoints in a {@code /main} or {@code /full/*} tree exactly as the client's
 * {@code CountCheckpointsInTree}/{@code WalkCheckpointShards} do (spec §3.2):
 *
 * <ul>
 *   <li>at the root, only directories whose name is exactly 2 characters are followed as shards; files
 *       ({@code generation.json}) and other directories are skipped;
 *   <li>a shard tree that cannot be read is skipped silently;
 *   <li>inside a shard, a <em>directory</em> whose shard name + entry name matches {@code ^[0-9a-f]{12}$}
 *       counts as one checkpoint; files, gitlinks, symlinks and invalid names are skipped;
 *   <li>the contents of a checkpoint directory are not inspected.
 * </ul>
 *
 * <p>Reads are memoised per tree id in a {@link CheckpointSetCache}, because a tree id fixes its content.
 */
public final class CheckpointTrees {
  /** The empty tree, root of every {@code Start generation}; it need not exist as an object. */
  public static final ObjectId EMPTY_TREE =
      ObjectId.fromString("4b825dc642cb6eb9a060e54bf8d69288fbee4904");

  private final ObjectReader reader;
  private final CheckpointSetCache cache;

  /** Reads through {@code reader}; {@code cache} may be shared between calls and threads. */
  public CheckpointTrees(ObjectReader reader, CheckpointSetCache cache) {
    this.reader = reader;
    this.cache = cache == null ? CheckpointSetCache.NONE : cache;
  }

  /** All checkpoints in the tree {@code treeId}. */
  public CheckpointSet checkpoints(AnyObjectId treeId) throws IOException {
    ObjectId key = treeId.toObjectId();
    CheckpointSet cached = cache.get(key);
    if (cached != null) {
      return cached;
    }
    CheckpointSet.Builder out = new CheckpointSet.Builder();
    for (Map.Entry<String, ObjectId> shard : shards(treeId).entrySet()) {
      addShard(shard.getKey(), shard.getValue(), out);
    }
    CheckpointSet set = out.build();
    cache.put(key, set);
    return set;
  }

  /** Number of checkpoints in the tree, as the rotation threshold compares it. */
  public int count(AnyObjectId treeId) throws IOException {
    return checkpoints(treeId).size();
  }

  /**
   * The checkpoints present in {@code oldTree} and missing from {@code newTree}. Shards whose tree id is
   * unchanged are not read, so an append costs a few tree reads however large the generation is.
   */
  public CheckpointSet removed(AnyObjectId oldTree, AnyObjectId newTree) throws IOException {
    if (oldTree.equals(newTree)) {
      return CheckpointSet.empty();
    }
    Map<String, ObjectId> oldShards = shards(oldTree);
    Map<String, ObjectId> newShards = shards(newTree);
    CheckpointSet.Builder gone = new CheckpointSet.Builder();
    for (Map.Entry<String, ObjectId> e : oldShards.entrySet()) {
      ObjectId now = newShards.get(e.getKey());
      if (e.getValue().equals(now)) {
        continue;
      }
      CheckpointSet.Builder before = new CheckpointSet.Builder();
      addShard(e.getKey(), e.getValue(), before);
      CheckpointSet lost = before.build();
      if (now != null && !lost.isEmpty()) {
        CheckpointSet.Builder after = new CheckpointSet.Builder();
        addShard(e.getKey(), now, after);
        lost = lost.minus(after.build());
      }
      gone.addAll(lost);
    }
    return gone.build();
  }

  /**
   * Every checkpoint directory of the tree, by the same walk as {@link #checkpoints}: packed ID to the tree
   * id of {@code <xx>/<yyyyyyyyyy>/}, in ascending ID order. Not cached (the ids are what callers need
   * to move checkpoints between generations without reading their contents).
   */
  public java.util.SortedMap<Long, ObjectId> directories(AnyObjectId treeId) throws IOException {
    java.util.SortedMap<Long, ObjectId> out = new java.util.TreeMap<>();
    for (Map.Entry<String, ObjectId> shard : shards(treeId).entrySet()) {
      CanonicalTreeParser p = new CanonicalTreeParser();
      try {
        p.reset(reader, shard.getValue());
      } catch (MissingObjectException | org.eclipse.jgit.errors.IncorrectObjectTypeException e) {
        continue; // spec §3.2: a shard tree that cannot be read is skipped silently
      }
      int hi = shard.getKey().charAt(0);
      int lo = shard.getKey().charAt(1);
      for (; !p.eof(); p.next()) {
        if (!FileMode.TREE.equals(p.getEntryRawMode())) {
          continue;
        }
        long id =
            CheckpointIds.fromTreeNames(
                hi, lo, p.getEntryPathBuffer(), p.getNameOffset(), p.getNameLength());
        if (id >= 0) {
          out.put(id, p.getEntryObjectId());
        }
      }
    }
    return out;
  }

  /** Root entries that the walk follows as shards: 2-character directory names, with their tree ids. */
  private Map<String, ObjectId> shards(AnyObjectId treeId) throws IOException {
    Map<String, ObjectId> out = new HashMap<>();
    if (EMPTY_TREE.equals(treeId)) {
      return out;
    }
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, treeId);
    for (; !p.eof(); p.next()) {
      if (p.getNameLength() == CheckpointIds.SHARD_LENGTH
          && FileMode.TREE.equals(p.getEntryRawMode())) {
        out.put(p.getEntryPathString(), p.getEntryObjectId());
      }
    }
    return out;
  }

  private void addShard(String shard, ObjectId shardTree, CheckpointSet.Builder out)
      throws IOException {
    CanonicalTreeParser p = new CanonicalTreeParser();
    try {
      p.reset(reader, shardTree);
    } catch (MissingObjectException | org.eclipse.jgit.errors.IncorrectObjectTypeException e) {
      return; // spec §3.2: a shard tree that cannot be read is skipped silently
    }
    int hi = shard.charAt(0);
    int lo = shard.charAt(1);
    for (; !p.eof(); p.next()) {
      if (!FileMode.TREE.equals(p.getEntryRawMode())) {
        continue;
      }
      long id =
          CheckpointIds.fromTreeNames(
              hi, lo, p.getEntryPathBuffer(), p.getNameOffset(), p.getNameLength());
      if (id >= 0) {
        out.add(id);
      }
    }
  }
}
