package dev.checkpointguard.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Objects a repair plan needs, computed in memory (ids included) and written only when the plan is
 * applied, so that planning and {@code --dry-run} write nothing. Also the few tree operations
 * repair needs: flatten a checkpoint directory, build a tree from paths, edit checkpoint entries of
 * a tree.
 */
final class PlannedObjects {
  /** A tree entry below a checkpoint directory. */
  record Entry(FileMode mode, ObjectId id) {}

  private final ObjectReader reader;
  private final ObjectInserter.Formatter fmt = new ObjectInserter.Formatter();
  private final Map<ObjectId, Object[]> pending = new LinkedHashMap<>();

  PlannedObjects(ObjectReader reader) {
    this.reader = reader;
  }

  /** Number of new objects. */
  int size() {
    return pending.size();
  }

  /**
   * Writes every object this plan computed that the repository does not hold yet through {@code
   * ins}, then flushes it; idempotent (a rerun writes only what is still missing).
   */
  void writeAll(ObjectInserter ins) throws IOException {
    for (Map.Entry<ObjectId, Object[]> e : pending.entrySet()) {
      if (!reader.has(e.getKey())) {
        ins.insert((Integer) e.getValue()[0], (byte[]) e.getValue()[1]);
      }
    }
    ins.flush();
  }

  ObjectId blob(byte[] content) {
    return add(Constants.OBJ_BLOB, content);
  }

  ObjectId commit(ObjectId tree, List<ObjectId> parents, PersonIdent who, String message) {
    CommitBuilder c = new CommitBuilder();
    c.setTreeId(tree);
    c.setParentIds(parents);
    c.setAuthor(who);
    c.setCommitter(who);
    c.setMessage(message);
    try {
      return add(Constants.OBJ_COMMIT, c.build());
    } catch (java.io.UnsupportedEncodingException e) {
      throw new IllegalStateException(e); // UTF-8 is always supported
    }
  }

  private ObjectId add(int type, byte[] data) {
    ObjectId id = fmt.idFor(type, data);
    pending.putIfAbsent(id, new Object[] {type, data});
    return id;
  }

  /** Every file (and gitlink/symlink) below {@code tree}, by slash-separated path. */
  SortedMap<String, Entry> flatten(AnyObjectId tree) throws IOException {
    SortedMap<String, Entry> out = new TreeMap<>();
    flatten(tree, "", out);
    return out;
  }

  private void flatten(AnyObjectId tree, String prefix, SortedMap<String, Entry> out)
      throws IOException {
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, tree);
    List<Object[]> subtrees = new ArrayList<>();
    for (; !p.eof(); p.next()) {
      String path = prefix + p.getEntryPathString();
      if (FileMode.TREE.equals(p.getEntryRawMode())) {
        subtrees.add(new Object[] {path, p.getEntryObjectId()});
      } else {
        out.put(path, new Entry(p.getEntryFileMode(), p.getEntryObjectId()));
      }
    }
    for (Object[] s : subtrees) {
      flatten((ObjectId) s[1], s[0] + "/", out);
    }
  }

  /**
   * A tree holding exactly {@code files} (paths as from {@link #flatten}); the empty tree if none.
   */
  ObjectId tree(SortedMap<String, Entry> files) {
    Map<String, Object> root = new TreeMap<>();
    for (Map.Entry<String, Entry> f : files.entrySet()) {
      String[] parts = f.getKey().split("/");
      Map<String, Object> dir = root;
      for (int i = 0; i < parts.length - 1; i++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> sub =
            (Map<String, Object>) dir.computeIfAbsent(parts[i], k -> new TreeMap<>());
        dir = sub;
      }
      dir.put(parts[parts.length - 1], f.getValue());
    }
    return writeNested(root);
  }

  @SuppressWarnings("unchecked")
  private ObjectId writeNested(Map<String, Object> dir) {
    List<Object[]> entries = new ArrayList<>();
    for (Map.Entry<String, Object> e : dir.entrySet()) {
      if (e.getValue() instanceof Entry file) {
        entries.add(new Object[] {e.getKey(), file.mode(), file.id()});
      } else {
        entries.add(
            new Object[] {
              e.getKey(), FileMode.TREE, writeNested((Map<String, Object>) e.getValue())
            });
      }
    }
    return writeTree(entries);
  }

  /** Writes one tree level from {name, FileMode, ObjectId} entries in any order. */
  ObjectId writeTree(List<Object[]> entries) {
    entries.sort(Comparator.comparing((Object[] e) -> gitSortKey((String) e[0], (FileMode) e[1])));
    TreeFormatter f = new TreeFormatter();
    for (Object[] e : entries) {
      f.append((String) e[0], (FileMode) e[1], (ObjectId) e[2]);
    }
    return add(Constants.OBJ_TREE, f.toByteArray());
  }

  /** Git orders tree entries by name bytes, a directory's name compared as if it ended in '/'. */
  private static String gitSortKey(String name, FileMode mode) {
    String key = FileMode.TREE.equals(mode) ? name + "/" : name;
    // Latin-1 view of the UTF-8 bytes keeps String comparison equal to unsigned byte comparison.
    return new String(key.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /**
   * {@code base} (null = empty) with checkpoint directories replaced ({@code dirs} value non-null)
   * or removed (null value), and root files set or removed ({@code rootFiles}, null value =
   * remove). Every other entry of {@code base} is kept as it is.
   */
  ObjectId editTree(AnyObjectId base, Map<String, ObjectId> dirs, Map<String, ObjectId> rootFiles)
      throws IOException {
    Map<String, Map<String, ObjectId>> byShard = new TreeMap<>();
    for (Map.Entry<String, ObjectId> d : dirs.entrySet()) {
      byShard
          .computeIfAbsent(d.getKey().substring(0, 2), k -> new LinkedHashMap<>())
          .put(d.getKey().substring(3), d.getValue());
    }
    List<Object[]> root = readLevel(base);
    root.removeIf(e -> rootFiles.containsKey((String) e[0]) && !FileMode.TREE.equals(e[1]));
    for (Map.Entry<String, ObjectId> f : rootFiles.entrySet()) {
      if (f.getValue() != null) {
        root.add(new Object[] {f.getKey(), FileMode.REGULAR_FILE, f.getValue()});
      }
    }
    for (Map.Entry<String, Map<String, ObjectId>> s : byShard.entrySet()) {
      ObjectId oldShard = null;
      for (Object[] e : root) {
        if (e[0].equals(s.getKey()) && FileMode.TREE.equals(e[1])) {
          oldShard = (ObjectId) e[2];
        }
      }
      root.removeIf(e -> e[0].equals(s.getKey()) && FileMode.TREE.equals(e[1]));
      List<Object[]> shard = readLevel(oldShard);
      for (Map.Entry<String, ObjectId> d : s.getValue().entrySet()) {
        shard.removeIf(e -> e[0].equals(d.getKey()));
        if (d.getValue() != null) {
          shard.add(new Object[] {d.getKey(), FileMode.TREE, d.getValue()});
        }
      }
      if (!shard.isEmpty()) {
        root.add(new Object[] {s.getKey(), FileMode.TREE, writeTree(shard)});
      }
    }
    return writeTree(root);
  }

  private List<Object[]> readLevel(AnyObjectId tree) throws IOException {
    List<Object[]> out = new ArrayList<>();
    if (tree == null) {
      return out;
    }
    CanonicalTreeParser p = new CanonicalTreeParser();
    Object[] planned = pending.get(tree.toObjectId());
    if (planned != null) {
      p.reset((byte[]) planned[1]); // a tree of this plan, not written yet
    } else {
      p.reset(reader, tree);
    }
    for (; !p.eof(); p.next()) {
      out.add(new Object[] {p.getEntryPathString(), p.getEntryFileMode(), p.getEntryObjectId()});
    }
    return out;
  }
}
