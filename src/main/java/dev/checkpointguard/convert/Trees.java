package dev.checkpointguard.convert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/** Tree entries as raw bytes, read and written in git's order. */
final class Trees {
  /**
   * One entry; the name is kept as its raw bytes, so that names which are not UTF-8 survive a
   * rewrite.
   */
  record Entry(byte[] name, FileMode mode, ObjectId id) {
    static Entry of(String name, FileMode mode, ObjectId id) {
      return new Entry(name.getBytes(StandardCharsets.UTF_8), mode, id);
    }

    boolean isTree() {
      return FileMode.TREE.equals(mode);
    }

    boolean isFile() {
      return FileMode.REGULAR_FILE.equals(mode) || FileMode.EXECUTABLE_FILE.equals(mode);
    }

    String nameString() {
      return new String(name, StandardCharsets.UTF_8);
    }
  }

  private Trees() {}

  /** The entries of {@code tree} in stored order; empty for a null id. */
  static List<Entry> read(ObjectReader reader, ObjectId tree) throws IOException {
    List<Entry> out = new ArrayList<>();
    if (tree == null) {
      return out;
    }
    CanonicalTreeParser p = new CanonicalTreeParser();
    try {
      p.reset(reader, tree);
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      throw new IOException("tree " + tree.name() + " cannot be read", e);
    }
    for (; !p.eof(); p.next()) {
      byte[] name = new byte[p.getNameLength()];
      System.arraycopy(p.getEntryPathBuffer(), p.getNameOffset(), name, 0, name.length);
      out.add(new Entry(name, FileMode.fromBits(p.getEntryRawMode()), p.getEntryObjectId()));
    }
    return out;
  }

  /** Writes {@code entries} (any order; names must be distinct) as one tree. */
  static ObjectId write(ObjectInserter ins, List<Entry> entries) throws IOException {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Trees::compare);
    TreeFormatter f = new TreeFormatter();
    for (Entry e : sorted) {
      f.append(e.name(), 0, e.name().length, e.mode(), e.id());
    }
    return ins.insert(f);
  }

  /** git's order: names compared as bytes, a tree's name as if it ended with {@code /}. */
  static int compare(Entry a, Entry b) {
    int n = Math.min(a.name.length, b.name.length);
    for (int i = 0; i < n; i++) {
      int c = (a.name[i] & 0xff) - (b.name[i] & 0xff);
      if (c != 0) {
        return c;
      }
    }
    int ca = a.name.length > n ? a.name[n] & 0xff : a.isTree() ? '/' : 0;
    int cb = b.name.length > n ? b.name[n] & 0xff : b.isTree() ? '/' : 0;
    return ca - cb;
  }
}
