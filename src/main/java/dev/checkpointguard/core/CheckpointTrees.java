package dev.checkpointguard.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *   <li>at the root, only directories whose name is exactly 2 bytes long are followed as shards;
 *       files ({@code generation.json}) and other directories are skipped;
 *   <li>a shard tree that cannot be read is skipped silently;
 *   <li>inside a shard, a <em>directory</em> whose shard name + entry name matches {@code
 *       ^[0-9a-f]{12}$} counts as one checkpoint; files, gitlinks, symlinks and invalid names are
 *       skipped;
 *   <li>the contents of a checkpoint directory are not inspected.
 * </ul>
 *
 * <p>Names are compared as raw bytes, as Go does: a 2-byte shard name that is not two lowercase hex
 * digits (e.g. {@code é}, bytes {@code c3 a9}) is a shard whose entries are all invalid names, so
 * it adds nothing. The walk therefore does not read such shards at all; the result is the same.
 *
 * <p>Reads are memoised per tree id in a {@link CheckpointSetCache}, because a tree id fixes its
 * content.
 *
 * <p>Memory is bounded: a pushed tree may name millions of checkpoint directories that all point at
 * one tiny tree, so a set is never built beyond {@link #maxCheckpoints()} ({@link
 * TooManyCheckpointsException}).
 */
public final class CheckpointTrees {
  /** The empty tree, root of every {@code Start generation}; it need not exist as an object. */
  public static final ObjectId EMPTY_TREE =
      ObjectId.fromString("4b825dc642cb6eb9a060e54bf8d69288fbee4904");

  /**
   * The most checkpoints one tree may hold before {@link #checkpoints} refuses to collect them (8
   * MiB of ids). A client generation holds about {@value GuardSettings#MAX_THRESHOLD}; even {@code
   * /main} of a very busy repository stays far below this.
   */
  public static final int MAX_CHECKPOINTS = 1_000_000;

  /**
   * The most transcript files read from the checkpoint directories of one {@link #loss} (a session
   * holds a transcript in one or a few chunks; a pushed tree may name millions of them).
   */
  public static final int MAX_FILES = 4_000_000;

  /**
   * What makes two transcript files the same unit. {@link #PATH} is the rule (spec §10.2 a): a
   * finalize replaces a transcript's blob at the same path. {@link #BLOB} is stricter (the same
   * path with the same blob); it exists only to measure which legitimate sequences it would refuse.
   */
  enum Matching {
    PATH,
    BLOB
  }

  private final ObjectReader reader;
  private final CheckpointSetCache cache;
  private final int maxCheckpoints;
  private Matching matching = Matching.PATH;

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

  /**
   * Switches the unit of {@link #loss} and {@link #cover} (tests that measure the blob-level rule).
   */
  CheckpointTrees matching(Matching m) {
    this.matching = m;
    return this;
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
   * The checkpoints present in {@code oldTree} and missing from {@code newTree}. Shards whose tree
   * id is unchanged are not read, so an append costs a few tree reads however large the generation
   * is.
   *
   * @throws TooManyCheckpointsException when a changed part of either tree holds more than {@link
   *     #maxCheckpoints()}
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
   * What moving a generation from {@code oldTree} to {@code newTree} drops (see {@link Loss}).
   * Shards and checkpoint directories whose tree id is unchanged are not read, so an append costs a
   * few tree reads however large the generation is; a checkpoint directory the new tree lacks is
   * recorded by tree id and read only when {@link #expand} or {@link #cover} needs its files.
   *
   * @throws TooManyCheckpointsException when more than {@link #maxCheckpoints()} checkpoints of a
   *     changed shard are read, or more than {@link #MAX_FILES} transcript files
   */
  public Loss loss(AnyObjectId oldTree, AnyObjectId newTree) throws IOException {
    Loss out = new Loss();
    if (oldTree.equals(newTree)) {
      return out;
    }
    Map<Integer, ObjectId> oldShards = shards(oldTree);
    Map<Integer, ObjectId> newShards = shards(newTree);
    int[] budget = {maxCheckpoints, MAX_FILES};
    for (Map.Entry<Integer, ObjectId> e : oldShards.entrySet()) {
      ObjectId oldShard = e.getValue();
      ObjectId newShard = newShards.get(e.getKey());
      if (oldShard.equals(newShard)) {
        continue;
      }
      Map<Long, ObjectId> before = dirs(e.getKey(), oldShard, oldTree, budget);
      Map<Long, ObjectId> after =
          newShard == null ? Map.of() : dirs(e.getKey(), newShard, newTree, budget);
      for (Map.Entry<Long, ObjectId> d : before.entrySet()) {
        ObjectId now = after.get(d.getKey());
        if (d.getValue().equals(now)) {
          continue;
        }
        if (now == null) {
          out.add(new Loss.Dir(d.getKey(), e.getKey(), oldShard, d.getValue(), null));
          continue;
        }
        List<String> had = transcriptFiles(d.getValue(), oldTree, budget);
        if (had.isEmpty()) {
          continue; // no transcript, and the directory stays: nothing of it is lost
        }
        Set<String> kept = new HashSet<>(transcriptFiles(now, newTree, budget));
        List<String> lost = new ArrayList<>();
        for (String f : had) {
          if (!kept.contains(f)) {
            lost.add(f);
          }
        }
        if (!lost.isEmpty()) {
          out.add(new Loss.Dir(d.getKey(), e.getKey(), oldShard, d.getValue(), lost));
        }
      }
    }
    return out;
  }

  /** Reads the files of every directory of {@code loss} that is still recorded by tree id only. */
  public void expand(Loss loss) throws IOException {
    int[] budget = {maxCheckpoints, MAX_FILES};
    for (Loss.Dir d : loss.dirs()) {
      expand(d, budget);
    }
  }

  private void expand(Loss.Dir d, int[] budget) throws IOException {
    if (!d.expanded()) {
      d.paths = transcriptFiles(d.dirTree, d.dirTree, budget);
      d.idOnly = d.paths.isEmpty();
    }
  }

  /**
   * Removes from {@code loss} every unit that the generation tree {@code archiveTree} holds: a
   * shard or a checkpoint directory with the very same tree id covers everything lost from it
   * without being read; otherwise the archive's directory is read and holds the transcript files it
   * names (an ID-only unit needs the directory to exist).
   *
   * @return true when this tree covered at least one unit
   */
  public boolean cover(Loss loss, AnyObjectId archiveTree) throws IOException {
    if (loss.isEmpty()) {
      return false;
    }
    Map<Integer, List<Loss.Dir>> byShard = new HashMap<>();
    for (Loss.Dir d : loss.dirs()) {
      byShard.computeIfAbsent(d.shard, k -> new ArrayList<>()).add(d);
    }
    Map<Integer, ObjectId> shards = shards(archiveTree);
    int[] budget = {maxCheckpoints, MAX_FILES};
    boolean covered = false;
    for (Map.Entry<Integer, List<Loss.Dir>> e : byShard.entrySet()) {
      ObjectId theirs = shards.get(e.getKey());
      if (theirs == null) {
        continue;
      }
      Map<Long, ObjectId> dirs = null;
      for (Loss.Dir d : e.getValue()) {
        if (d.shardTree.equals(theirs)) {
          loss.remove(d.id);
          covered = true;
          continue;
        }
        if (dirs == null) {
          dirs = dirs(e.getKey(), theirs, archiveTree, budget);
        }
        ObjectId dir = dirs.get(d.id);
        if (dir == null) {
          continue;
        }
        if (dir.equals(d.dirTree)) {
          loss.remove(d.id);
          covered = true;
          continue;
        }
        expand(d, budget);
        if (d.idOnly) {
          loss.remove(d.id); // the directory exists there
          covered = true;
          continue;
        }
        Set<String> held = new HashSet<>(transcriptFiles(dir, archiveTree, budget));
        int before = d.paths.size();
        d.paths.removeIf(held::contains);
        if (d.paths.isEmpty()) {
          loss.remove(d.id);
        }
        covered |= d.paths.size() < before;
      }
    }
    return covered;
  }

  /**
   * The transcript files of one checkpoint directory, {@code <session>/<file>} for every
   * non-directory entry named {@code raw_transcript}, {@code raw_transcript.*}, {@code full.jsonl}
   * or {@code full.jsonl.*} in any sub-directory (with {@code @<blob>} appended under {@link
   * Matching#BLOB}), sorted.
   */
  private List<String> transcriptFiles(ObjectId dirTree, AnyObjectId within, int[] budget)
      throws IOException {
    List<String> out = new ArrayList<>();
    CanonicalTreeParser dir = new CanonicalTreeParser();
    if (!reset(dir, dirTree)) {
      return out;
    }
    List<String> names = new ArrayList<>();
    List<ObjectId> sessions = new ArrayList<>();
    for (; !dir.eof(); dir.next()) {
      if (FileMode.TREE.equals(dir.getEntryRawMode())) {
        names.add(dir.getEntryPathString());
        sessions.add(dir.getEntryObjectId());
      }
    }
    CanonicalTreeParser session = new CanonicalTreeParser();
    for (int i = 0; i < sessions.size(); i++) {
      if (!reset(session, sessions.get(i))) {
        continue;
      }
      for (; !session.eof(); session.next()) {
        if (FileMode.TREE.equals(session.getEntryRawMode())
            || !isTranscriptName(
                session.getEntryPathBuffer(), session.getNameOffset(), session.getNameLength())) {
          continue;
        }
        if (--budget[1] < 0) {
          throw new TooManyCheckpointsException(within, MAX_FILES);
        }
        String f = names.get(i) + "/" + session.getEntryPathString();
        out.add(matching == Matching.BLOB ? f + "@" + session.getEntryObjectId().name() : f);
      }
    }
    Collections.sort(out);
    return out;
  }

  private static final byte[] RAW =
      "raw_transcript".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] LEGACY =
      "full.jsonl".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /**
   * {@code raw_transcript}, {@code raw_transcript.<anything>}, {@code full.jsonl} or {@code
   * full.jsonl.<anything>} (chunk suffixes as readers accept them; {@code raw_transcript_hash.txt}
   * is not a transcript).
   */
  static boolean isTranscriptName(byte[] buf, int off, int len) {
    return hasStem(buf, off, len, RAW) || hasStem(buf, off, len, LEGACY);
  }

  private static boolean hasStem(byte[] buf, int off, int len, byte[] stem) {
    if (len < stem.length || (len > stem.length && buf[off + stem.length] != '.')) {
      return false;
    }
    for (int i = 0; i < stem.length; i++) {
      if (buf[off + i] != stem[i]) {
        return false;
      }
    }
    return true;
  }

  /** The checkpoint directories of one shard tree, ID → directory tree id. */
  private Map<Long, ObjectId> dirs(int shard, ObjectId shardTree, AnyObjectId within, int[] budget)
      throws IOException {
    Map<Long, ObjectId> out = new HashMap<>();
    walkShard(
        shard,
        shardTree,
        (id, dir) -> {
          if (--budget[0] < 0) {
            throw new TooManyCheckpointsException(within, maxCheckpoints);
          }
          out.put(id, dir.copy());
          return true;
        });
    return out;
  }

  /**
   * Points {@code p} at {@code tree}; false when it cannot be read as a tree (skipped, as §3.2
   * does).
   */
  private boolean reset(CanonicalTreeParser p, ObjectId tree) throws IOException {
    try {
      p.reset(reader, tree);
      return true;
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      return false;
    }
  }

  /**
   * Every checkpoint directory of the tree, by the same walk as {@link #checkpoints}: packed ID to
   * the tree id of {@code <xx>/<yyyyyyyyyy>/}, in ascending ID order. Not cached (the ids are what
   * callers need to move checkpoints between generations without reading their contents).
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
   * Root entries that the walk follows as shards, keyed by the two raw name bytes ({@code hi << 8 |
   * lo}), with their tree ids. Only names of two lowercase hex digits can yield a checkpoint, so
   * only those are kept (see the class comment).
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
          CheckpointIds.fromTreeNames(
              hi, lo, p.getEntryPathBuffer(), p.getNameOffset(), p.getNameLength());
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
