package dev.checkpointguard.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Reads many {@code /main} checkpoint directories fast (spec §4): their trees, their session trees
 * and then the small blobs a caller wants ({@code metadata.json}, summaries), each level in pack
 * order ({@link PackOrder}), so that a 100,000-checkpoint {@code /main} is read front to back once
 * per level instead of jumping around a large pack. Only tree entries are parsed here; which JSON
 * fields to take is the caller's ({@link JsonFiles} streams just those).
 *
 * <p>Used by {@code convert}; meant for every reader of {@code /main} metadata ({@code check}'s
 * times too). Not thread-safe: one instance per thread (each with its own {@link ObjectReader}).
 *
 * <pre>{@code
 * MainReader r = new MainReader(reader, PackOrder.of(repo.getObjectDatabase()));
 * List<MainReader.Checkpoint> cps = r.directories(mainDirs);          // ID -> directory tree
 * List<MainReader.Session> sessions = ...;                             // those you want
 * r.texts(sessions, MainReader.Session::metadata, 1 << 20, (s, text) -> ...);
 * }</pre>
 */
public final class MainReader {
  /** Session directory names are plain decimal numbers, as the client writes them. */
  public static final int NO_SESSION = -1;

  /**
   * One numeric session directory {@code <cp>/<index>/}.
   *
   * @param files its regular files by name ({@code metadata.json}, {@code prompt.txt}, {@code
   *     transcript.jsonl} …), blob ids
   */
  public record Session(long checkpoint, int index, ObjectId tree, Map<String, ObjectId> files) {
    /** The session's {@code metadata.json}, or null. */
    public ObjectId metadata() {
      return files.get("metadata.json");
    }
  }

  /**
   * One checkpoint directory.
   *
   * @param summary its {@code metadata.json}, or null
   * @param sessions its numeric session directories, ascending by index
   * @param readable false when the directory tree itself could not be read
   */
  public record Checkpoint(
      long id, ObjectId tree, ObjectId summary, List<Session> sessions, boolean readable) {}

  /** Receives one blob's text. */
  @FunctionalInterface
  public interface TextVisitor<T> {
    /**
     * @param text the blob as UTF-8 (invalid bytes replaced), or null when missing or above the
     *     limit
     */
    void visit(T item, String text) throws IOException;
  }

  private final ObjectReader reader;
  private final PackOrder order;

  public MainReader(ObjectReader reader, PackOrder order) {
    this.reader = reader;
    this.order = order;
  }

  /**
   * The checkpoint directories {@code dirs} (ID to directory tree, e.g. from {@link
   * CheckpointTrees#directories}) with their session directories, in the order of {@code dirs}.
   * Reads every checkpoint tree, then every session tree, each list in pack order.
   */
  public List<Checkpoint> directories(Map<Long, ObjectId> dirs) throws IOException {
    record Dir(long id, ObjectId tree) {}
    List<Dir> todo = new ArrayList<>(dirs.size());
    dirs.forEach((id, tree) -> todo.add(new Dir(id, tree)));
    Map<Long, ObjectId> summaries = new LinkedHashMap<>();
    Map<Long, Boolean> readable = new LinkedHashMap<>();
    List<Session> pending = new ArrayList<>();
    for (Dir d : order.sort(todo, Dir::tree)) {
      CanonicalTreeParser p = parser(d.tree());
      readable.put(d.id(), p != null);
      for (; p != null && !p.eof(); p.next()) {
        String name = p.getEntryPathString();
        if (name.equals("metadata.json") && isFile(p)) {
          summaries.put(d.id(), p.getEntryObjectId());
        } else if (FileMode.TREE.equals(p.getEntryRawMode())) {
          int index = sessionIndex(name);
          if (index != NO_SESSION) {
            pending.add(new Session(d.id(), index, p.getEntryObjectId(), null));
          }
        }
      }
    }
    Map<Long, List<Session>> sessions = new LinkedHashMap<>();
    for (Session s : order.sort(pending, Session::tree)) {
      Map<String, ObjectId> files = new LinkedHashMap<>();
      CanonicalTreeParser p = parser(s.tree());
      for (; p != null && !p.eof(); p.next()) {
        if (isFile(p)) {
          files.put(p.getEntryPathString(), p.getEntryObjectId());
        }
      }
      sessions
          .computeIfAbsent(s.checkpoint(), k -> new ArrayList<>())
          .add(
              new Session(s.checkpoint(), s.index(), s.tree(), Collections.unmodifiableMap(files)));
    }
    List<Checkpoint> out = new ArrayList<>(dirs.size());
    for (Map.Entry<Long, ObjectId> e : dirs.entrySet()) {
      List<Session> ss = sessions.getOrDefault(e.getKey(), List.of());
      List<Session> sorted = new ArrayList<>(ss);
      sorted.sort((a, b) -> Integer.compare(a.index(), b.index()));
      out.add(
          new Checkpoint(
              e.getKey(),
              e.getValue(),
              summaries.get(e.getKey()),
              List.copyOf(sorted),
              readable.getOrDefault(e.getKey(), false)));
    }
    return out;
  }

  /**
   * Reads the blob {@code id(item)} of every item (null ids skipped), in pack order, and hands its
   * text to {@code visitor}; a blob larger than {@code maxBytes} or missing is handed over as null.
   */
  public <T> void texts(
      List<T> items, Function<? super T, ObjectId> id, int maxBytes, TextVisitor<T> visitor)
      throws IOException {
    List<T> present = new ArrayList<>(items.size());
    for (T t : items) {
      if (id.apply(t) != null) {
        present.add(t);
      }
    }
    for (T t : order.sort(present, id)) {
      visitor.visit(t, text(reader, id.apply(t), maxBytes));
    }
  }

  /** A blob as UTF-8 text; null when missing, not a blob or larger than {@code maxBytes}. */
  public static String text(ObjectReader reader, ObjectId blob, int maxBytes) throws IOException {
    try {
      ObjectLoader l = reader.open(blob, Constants.OBJ_BLOB);
      if (l.getSize() > maxBytes) {
        return null;
      }
      return new String(l.getCachedBytes(maxBytes), StandardCharsets.UTF_8);
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      return null;
    }
  }

  /**
   * The index of a session directory name: plain decimal ({@code strconv.Itoa}, no sign, no leading
   * zero); {@link #NO_SESSION} for any other name.
   */
  public static int sessionIndex(String name) {
    if (name.isEmpty() || name.length() > 9 || (name.length() > 1 && name.charAt(0) == '0')) {
      return NO_SESSION;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < '0' || c > '9') {
        return NO_SESSION;
      }
    }
    return Integer.parseInt(name);
  }

  private CanonicalTreeParser parser(ObjectId tree) throws IOException {
    CanonicalTreeParser p = new CanonicalTreeParser();
    try {
      p.reset(reader, tree);
      return p;
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      return null;
    }
  }

  private static boolean isFile(CanonicalTreeParser p) {
    return FileMode.REGULAR_FILE.equals(p.getEntryRawMode())
        || FileMode.EXECUTABLE_FILE.equals(p.getEntryRawMode());
  }
}
