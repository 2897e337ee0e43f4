package dev.checkpointguard.core;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
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
 *   <li>at the root, only directories whose name is exactly 2 bytes long are followed as shards; files
 *       ({@code generation.json}) and other directories are skipped;
 *   <li>a shard tree that cannot be read is skipped silently;
 *   <li>inside a shard, a <em>directory</em> whose shard name + entry name matches {@code ^[0-9a-f]{12}$}
 *       counts as one checkpoint; files, gitlinks, symlinks and invalid names are skipped;
 *   <li>the contents of a checkpoint directory are not inspected.
 * </ul>
 *
 * <p>Names are compared as raw bytes, as Go does: a 2-byte shard name that is not two lowercase hex
 * digits (e.g. {@code é}, bytes {@code c3 a9}) is a shard whose entries are all invalid names, so it adds
 * nothing. The walk therefore does not read such shards at all; the result is the same.
 *
 * <p>Reads are memoised per tree id in a {@link CheckpointSetCache}, because a tree id fixes its content.
 *
 * <p>Memory is bounded: a pushed tree may name millions of checkpoint directories that all point at one
 * tiny tree, so a set is never built beyond {@link #maxCheckpoints()} ({@link TooManyCheckpointsException}).
 */
public final class CheckpointTrees {
  /** The empty tree, root of every {@code Start generation}; it need not exist as an object. */
  public static final ObjectId EMPTY_TREE =
      ObjectId.fromString("4b825dc642cb6eb9a060e54bf8d69288fbee4904");

  /**
   * The most checkpoints one tree may hold before {@link #checkpoints} refuses to collect them (8 MiB of
   * ids). A client generation holds about {@value GuardSettings#MAX_THRESHOLD}; even {@code /main} of a
   * very busy repository stays far below this.
   */
  public static final int MAX_CHECKPOINTS = 1_000_000;

  private final ObjectReader reader;
  private final CheckpointSetCache cache;
  private final int maxCheckpoints;

  /** Reads through {@code reader}; {@code cache} may be shared between calls and threads. */
  public CheckpointTrees(ObjectReader reader, CheckpointSetCache cache) {
    this(reader, cache, MAX_CHECKPOINTS);
  }

  /** As {@link #CheckpointTrees(ObjectReader, CheckpointSetCache)}, with another bound (tests). */
  public CheckpointTrees(ObjectReader reader, CheckpointSetCache cache, int maxCheckpoints) {
    if (maxCheckpoints < 1) {
      throw new IllegalArgumentException("maxCheckpoints must be at least 1: " + maxCheckpoints);
    }
    this.reader = reader;
    this.cache = cache == null ? CheckpointSetCache.NONE : cache;
    this.maxCheckpoints = maxCheckpoints;
  }

  /** The most checkpoints {@link #checkpoints} and {@link #removed} collect from one tree. */
  public int maxCheckpoints() {
    return maxCheckpoints;
  }

  /**
   * All checkpoints in the tree {@code treeId}.
   *
   * @throws TooManyCheckpointsException when the tree holds more than {@link #maxCheckpoints()}
   */
  public CheckpointSet checkpoints(AnyObjectId treeId) throws IOException {
    ObjectId key = treeId.toObjectId();
    CheckpointSet cached = cache.get(key);
    if (cached != null) {
      return cached;
    }
    Collector out = new Collector(treeId);
    for (Map.Entry<Integer, ObjectId> shard : shards(treeId).entrySet()) {
      if (!walkShard(shard.getKey(), shard.getValue(), out)) {
        break;
      }
    }
    CheckpointSet set = out.build();
    cache.put(key, set);
    return set;
  }

  /**
   * Number of checkpoints in the tree, as the rotation threshold compares it.
   *
   * @throws TooManyCheckpointsException when the tree holds more than {@link #maxCheckpoints()}
   */
  public int count(AnyObjectId treeId) throws IOException {
    return checkpoints(treeId).size();
  }

  /**
   * The checkpoints present in {@code oldTree} and missing from {@code newTree}. Shards whose tree id is
   * unchanged are not read, so an append costs a few tree reads however large the generation is.
   *
   * @throws TooManyCheckpointsException when a changed part of either tree holds more than
   *     {@link #maxCheckpoints()}
   */
  public CheckpointSet removed(AnyObjectId oldTree, AnyObjectId newTree) throws IOException {
    if (oldTree.equals(newTree)) {
      return CheckpointSet.empty();
    }
    Map<Integer, ObjectId> oldShards = shards(oldTree);
    Map<Integer, ObjectId> newShards = shards(newTree);
    Collector before = new Collector(oldTree);
    Collector after = new Collector(newTree);
    for (Map.Entry<Integer, ObjectId> e : oldShards.entrySet()) {
      ObjectId now = newShards.get(e.getKey());
      if (e.getValue().equals(now)) {
        continue;
      }
      int had = before.size();
      walkShard(e.getKey(), e.getValue(), before);
      if (now != null && before.size() > had) {
        walkShard(e.getKey(), now, after);
      }
    }
    return before.build().minus(after.build());
  }

  /**
   * Every checkpoint directory of the tree, by the same walk as {@link #checkpoints}: packed ID to the tree
   * id of {@code <xx>/<yyyyyyyyyy>/}, in ascending ID order. Not cached (the ids are what callers need
   * to move checkpoints between generations without reading their contents).
   *
   * @throws TooManyCheckpointsException when the tree holds more than {@link #maxCheckpoints()}
   */
  public SortedMap<Long, ObjectId> directories(AnyObjectId treeId) throws IOException {
    SortedMap<Long, ObjectId> out = new TreeMap<>();
    for (Map.Entry<Integer, ObjectId> shard : shards(treeId).entrySet()) {
      walkShard(
          shard.getKey(),
          shard.getValue(),
          (id, dir) -> {
            out.put(id, dir.copy());
            if (out.size() > maxCheckpoints) {
              throw new TooManyCheckpointsException(treeId, maxCheckpoints);
            }
            return true;
          });
    }
    return out;
  }

  /**
   * Root entries that the walk follows as shards, keyed by the two raw name bytes ({@code hi << 8 | lo}),
   * with their tree ids. Only names of two lowercase hex digits can yield a checkpoint, so only those are
   * kept (see the class comment).
   */
  private Map<Integer, ObjectId> shards(AnyObjectId treeId) throws IOException {
    Map<Integer, ObjectId> out = new HashMap<>();
    if (EMPTY_TREE.equals(treeId)) {
      return out;
    }
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, treeId);
    for (; !p.eof(); p.next()) {
      if (p.getNameLength() == CheckpointIds.SHARD_LENGTH
          && FileMode.TREE.equals(p.getEntryRawMode())) {
        byte[] buf = p.getEntryPathBuffer();
        int hi = buf[p.getNameOffset()] & 0xff;
        int lo = buf[p.getNameOffset() + 1] & 0xff;
        if (CheckpointIds.isShard(hi, lo)) {
          out.put((hi << 8) | lo, p.getEntryObjectId());
        }
      }
    }
    return out;
  }

  /** Told about each checkpoint directory of a shard; returns false to stop the walk. */
  @FunctionalInterface
  private interface Visitor {
    boolean visit(long id, ObjectId dirTree) throws IOException;
  }

  /**
   * Walks one shard tree and tells {@code visitor} about every checkpoint directory in it.
   *
   * @param shard the shard name's two raw bytes, {@code hi << 8 | lo}
   * @return false when the visitor stopped the walk
   */
  private boolean walkShard(int shard, ObjectId shardTree, Visitor visitor) throws IOException {
    CanonicalTreeParser p = new CanonicalTreeParser();
    try {
      p.reset(reader, shardTree);
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      return true; // spec §3.2: a shard tree that cannot be read is skipped silently
    }
    int hi = shard >>> 8;
    int lo = shard & 0xff;
    for (; !p.eof(); p.next()) {
      if (!FileMode.TREE.equals(p.getEntryRawMode())) {
        continue;
      }
      long id =
          CheckpointIds.fromTreeNames(hi, lo, p.getEntryPathBuffer(), p.getNameOffset(), p.getNameLength());
      if (id >= 0 && !visitor.visit(id, p.getEntryObjectId())) {
        return false;
      }
    }
    return true;
  }

  /** Collects ids into a set, refusing to grow past {@link #maxCheckpoints}. */
  private final class Collector implements Visitor {
    private final AnyObjectId tree;
    private final CheckpointSet.Builder builder = new CheckpointSet.Builder();
    private int n;

    Collector(AnyObjectId tree) {
      this.tree = tree;
    }

    @Override
    public boolean visit(long id, ObjectId dirTree) throws TooManyCheckpointsException {
      if (++n > maxCheckpoints) {
        throw new TooManyCheckpointsException(tree, maxCheckpoints);
      }
      builder.add(id);
      return true;
    }

    int size() {
      return n;
    }

    CheckpointSet build() {
      return builder.build();
    }
  }

  /** A tree names more checkpoint directories than the guard is willing to hold in memory. */
  public static final class TooManyCheckpointsException extends IOException {
    private final int limit;

    TooManyCheckpointsException(AnyObjectId tree, int limit) {
      super("tree " + tree.name() + " holds more than " + limit + " checkpoints");
      this.limit = limit;
    }

    /** The bound that was exceeded. */
    public int limit() {
      return limit;
    }
  }
}
