package dev.checkpointguard.mirror;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointTrees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * The mirror's unit of "nothing lost": every file of every checkpoint directory of a v2 tree, as
 * (checkpoint ID, path inside the directory, mode, blob). Stronger than the policy's units (raw
 * transcript paths): a replaced blob, a dropped {@code raw_transcript_hash.txt} or a dropped {@code
 * tasks/} file all count.
 *
 * <p>Checkpoint directories are found by the policy core's own walk ({@link
 * CheckpointTrees#directories}, spec §3.2), so the mirror and the guard agree on what a checkpoint
 * is; the files of a directory are read here (the core never needs them). Trees are memoised by id
 * for the life of one instance, which serves one sync or one hook run.
 *
 * <p>Not thread-safe.
 */
final class CheckpointFiles {
  /**
   * One file of a checkpoint directory.
   *
   * @param path the path inside the checkpoint directory, e.g. {@code 0/raw_transcript}
   * @param mode the tree entry's mode (regular, executable or symbolic link)
   * @param blob the content
   */
  record Entry(String path, FileMode mode, ObjectId blob) {}

  /**
   * Files of one tree that no holder has (same path, same blob), by checkpoint ID in ascending
   * order.
   *
   * @param files checkpoint ID to its lost files (ascending paths); empty when nothing is lost
   */
  record Lost(SortedMap<Long, List<Entry>> files) {
    static final Lost NONE = new Lost(Collections.emptySortedMap());

    boolean isEmpty() {
      return files.isEmpty();
    }

    /** Checkpoints with at least one lost file. */
    int checkpoints() {
      return files.size();
    }

    /** Lost files in all. */
    int fileCount() {
      int n = 0;
      for (List<Entry> l : files.values()) {
        n += l.size();
      }
      return n;
    }

    /** The lost checkpoint IDs, ascending. */
    List<String> ids() {
      List<String> out = new ArrayList<>(files.size());
      files.keySet().forEach(id -> out.add(CheckpointIds.format(id)));
      return out;
    }
  }

  private final ObjectReader reader;
  private final CheckpointTrees trees;
  private final Map<ObjectId, SortedMap<Long, ObjectId>> dirsMemo = lru(4096);
  private final Map<ObjectId, Map<String, Entry>> filesMemo = lru(65536);

  CheckpointFiles(ObjectReader reader) {
    this.reader = reader;
    this.trees = new CheckpointTrees(reader, null);
  }

  private static <K, V> Map<K, V> lru(int max) {
    return new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > max;
      }
    };
  }

  /** Checkpoint ID to its directory's tree id, for a {@code /main} or {@code /full/*} root tree. */
  SortedMap<Long, ObjectId> dirs(AnyObjectId rootTree) throws IOException {
    ObjectId key = rootTree.toObjectId();
    SortedMap<Long, ObjectId> d = dirsMemo.get(key);
    if (d == null) {
      d = Collections.unmodifiableSortedMap(trees.directories(rootTree));
      dirsMemo.put(key, d);
    }
    return d;
  }

  /**
   * Every file below one checkpoint directory, by path inside it (gitlinks are not files: their
   * commits are not this repository's). A directory tree that cannot be read has no files.
   */
  Map<String, Entry> files(AnyObjectId dirTree) throws IOException {
    ObjectId key = dirTree.toObjectId();
    Map<String, Entry> f = filesMemo.get(key);
    if (f != null) {
      return f;
    }
    Map<String, Entry> out = new TreeMap<>();
    try (TreeWalk w = new TreeWalk(reader)) {
      w.addTree(key);
      w.setRecursive(true);
      while (w.next()) {
        FileMode m = w.getFileMode(0);
        if (m.getObjectType() == org.eclipse.jgit.lib.Constants.OBJ_BLOB) {
          out.put(w.getPathString(), new Entry(w.getPathString(), m, w.getObjectId(0)));
        }
      }
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      // unreadable: nothing to keep from it (the walk that found it skips unreadable shards the
      // same way)
    }
    f = Collections.unmodifiableMap(out);
    filesMemo.put(key, f);
    return f;
  }

  /**
   * The checkpoint files of {@code tree} that none of {@code holders} has at the same path with the
   * same blob. Holders are tried in order and the search stops as soon as everything is accounted
   * for, so put the likeliest first (the ref's own new value, then the refs this sync changes). A
   * directory whose tree id a holder has for the same checkpoint is covered without reading its
   * files.
   */
  Lost lost(AnyObjectId tree, List<? extends AnyObjectId> holders) throws IOException {
    SortedMap<Long, ObjectId> mine = dirs(tree);
    if (mine.isEmpty()) {
      return Lost.NONE;
    }
    // pending: checkpoint -> null (whole directory still unaccounted for) or the files still
    // unaccounted for
    SortedMap<Long, Map<String, Entry>> pending = new TreeMap<>();
    mine.keySet().forEach(id -> pending.put(id, null));
    for (AnyObjectId holder : holders) {
      if (pending.isEmpty()) {
        return Lost.NONE;
      }
      if (holder.equals(tree)) {
        return Lost.NONE;
      }
      SortedMap<Long, ObjectId> theirs = dirs(holder);
      if (theirs.isEmpty()) {
        continue;
      }
      var it = pending.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<Long, Map<String, Entry>> e = it.next();
        ObjectId their = theirs.get(e.getKey());
        if (their == null) {
          continue;
        }
        ObjectId myDir = mine.get(e.getKey());
        if (their.equals(myDir)) {
          it.remove();
          continue;
        }
        Map<String, Entry> left = e.getValue();
        if (left == null) {
          left = new TreeMap<>(files(myDir));
          e.setValue(left);
        }
        Map<String, Entry> held = files(their);
        left.values().removeIf(f -> f.equals(held.get(f.path())));
        if (left.isEmpty()) {
          it.remove();
        }
      }
    }
    SortedMap<Long, List<Entry>> out = new TreeMap<>();
    for (Map.Entry<Long, Map<String, Entry>> e : pending.entrySet()) {
      Map<String, Entry> left = e.getValue() != null ? e.getValue() : files(mine.get(e.getKey()));
      if (!left.isEmpty()) {
        out.put(e.getKey(), List.copyOf(left.values()));
      }
    }
    return out.isEmpty() ? Lost.NONE : new Lost(Collections.unmodifiableSortedMap(out));
  }

  /**
   * {@code base} with {@code add} put back: each file goes to {@code <xx>/<yyyyyyyyyy>/<path>},
   * directories made as needed. A path {@code base} already has (a file there, or a directory where
   * a file would go, or a file where a directory would go) keeps {@code base}'s entry: the newer
   * side wins, as in the client's own tree merge (spec §7.3 B).
   *
   * @return the new root tree and the files actually added
   */
  Merged insert(ObjectInserter ins, AnyObjectId base, Lost add) throws IOException {
    Node root = new Node();
    for (Map.Entry<Long, List<Entry>> e : add.files().entrySet()) {
      String dir = CheckpointIds.path(e.getKey());
      for (Entry f : e.getValue()) {
        root.add((dir + "/" + f.path()).split("/"), 0, f, e.getKey());
      }
    }
    SortedMap<Long, List<Entry>> added = new TreeMap<>();
    ObjectId tree =
        write(ins, base.equals(CheckpointTrees.EMPTY_TREE) ? null : base.toObjectId(), root, added);
    SortedMap<Long, List<Entry>> frozen = new TreeMap<>();
    added.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
    return new Merged(
        tree == null ? CheckpointTrees.EMPTY_TREE : tree,
        frozen.isEmpty() ? Lost.NONE : new Lost(Collections.unmodifiableSortedMap(frozen)));
  }

  /** The result of {@link #insert}. */
  record Merged(ObjectId tree, Lost added) {}

  /** What to insert below one tree level: files by name, and deeper levels by directory name. */
  private static final class Node {
    final Map<String, Entry> files = new TreeMap<>();
    final Map<String, Long> fileIds = new TreeMap<>();
    final Map<String, Node> dirs = new TreeMap<>();

    void add(String[] parts, int i, Entry f, long id) {
      if (i == parts.length - 1) {
        files.put(parts[i], f);
        fileIds.put(parts[i], id);
      } else {
        dirs.computeIfAbsent(parts[i], k -> new Node()).add(parts, i + 1, f, id);
      }
    }
  }

  /** One entry of a tree being written. */
  private record TreeEntry(byte[] name, FileMode mode, ObjectId id) {}

  /**
   * Writes {@code base} (null: empty) plus {@code node}; records what was added; null for an empty
   * tree.
   */
  private ObjectId write(
      ObjectInserter ins, ObjectId base, Node node, SortedMap<Long, List<Entry>> added)
      throws IOException {
    Map<String, TreeEntry> entries = new TreeMap<>();
    if (base != null) {
      CanonicalTreeParser p = new CanonicalTreeParser();
      p.reset(reader, base);
      for (; !p.eof(); p.next()) {
        String name = p.getEntryPathString();
        entries.put(
            name,
            new TreeEntry(
                name.getBytes(StandardCharsets.UTF_8), p.getEntryFileMode(), p.getEntryObjectId()));
      }
    }
    for (Map.Entry<String, Entry> f : node.files.entrySet()) {
      if (entries.containsKey(f.getKey())) {
        continue; // base wins
      }
      Entry e = f.getValue();
      entries.put(
          f.getKey(),
          new TreeEntry(f.getKey().getBytes(StandardCharsets.UTF_8), e.mode(), e.blob()));
      added.computeIfAbsent(node.fileIds.get(f.getKey()), k -> new ArrayList<>()).add(e);
    }
    for (Map.Entry<String, Node> d : node.dirs.entrySet()) {
      TreeEntry existing = entries.get(d.getKey());
      if (existing != null && existing.mode() != FileMode.TREE) {
        continue; // a file where a directory would go: base wins
      }
      ObjectId sub = write(ins, existing == null ? null : existing.id(), d.getValue(), added);
      if (sub != null) {
        entries.put(
            d.getKey(),
            new TreeEntry(d.getKey().getBytes(StandardCharsets.UTF_8), FileMode.TREE, sub));
      }
    }
    if (entries.isEmpty()) {
      return null;
    }
    List<TreeEntry> sorted = new ArrayList<>(entries.values());
    sorted.sort(CheckpointFiles::gitOrder);
    TreeFormatter fmt = new TreeFormatter();
    for (TreeEntry e : sorted) {
      fmt.append(e.name(), 0, e.name().length, e.mode(), e.id());
    }
    return ins.insert(fmt);
  }

  /**
   * Git's tree order: names as unsigned bytes, a directory's name compared as if it ended in '/'.
   */
  private static int gitOrder(TreeEntry a, TreeEntry b) {
    byte[] x = a.name();
    byte[] y = b.name();
    int n = Math.min(x.length, y.length);
    for (int i = 0; i < n; i++) {
      int c = (x[i] & 0xff) - (y[i] & 0xff);
      if (c != 0) {
        return c;
      }
    }
    int cx = x.length > n ? x[n] & 0xff : (a.mode() == FileMode.TREE ? '/' : 0);
    int cy = y.length > n ? y[n] & 0xff : (b.mode() == FileMode.TREE ? '/' : 0);
    return cx - cy;
  }

  /** True when {@code id} names a tree or commit this reader can open. */
  boolean has(AnyObjectId id) throws IOException {
    return reader.has(id);
  }
}
