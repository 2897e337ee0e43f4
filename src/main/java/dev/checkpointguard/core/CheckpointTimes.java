package dev.checkpointguard.core;

import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Checkpoint timestamps as the client derives them (spec §4, §5.2, §5.3).
 *
 * <ul>
 *   <li>From {@code /main}: the creation time used for ordering is the {@code created_at} of the
 *       session at index {@code len(sessions)-1} of the checkpoint's {@code metadata.json} (the
 *       highest numeric session directory when the summary cannot be read); the generation range is
 *       min/max {@code created_at} over every numeric session directory. Only the small {@code
 *       metadata.json} files are read.
 *   <li>From a {@code /full/*} checkpoint directory (the fallback when {@code /main} has nothing):
 *       min/max of the {@code timestamp} field of every JSON line of every session's reassembled
 *       {@code raw_transcript*} chunks.
 * </ul>
 *
 * <p>Go's zero time counts as missing everywhere.
 */
public final class CheckpointTimes {
  /** metadata.json files larger than this are not parsed (real ones are a few KiB). */
  private static final int MAX_METADATA_BYTES = 4 << 20;

  /**
   * What {@code /main} says about one checkpoint.
   *
   * @param created last session's {@code created_at}, the §8.1 ordering key; null when missing
   * @param range min/max {@code created_at} over all sessions; null when no session has one
   */
  public record Times(Instant created, GenerationJson range) {}

  private final ObjectReader reader;
  private final Map<ObjectId, Times> memo;

  public CheckpointTimes(ObjectReader reader) {
    this(reader, new HashMap<>());
  }

  /**
   * @param memo what earlier reads found, by {@code /main} checkpoint directory tree id (a tree id
   *     fixes its content, so entries never go stale); filled by this reader. Lets a second pass
   *     over the same {@code /main}, such as the check that ends a repair, skip every metadata
   *     read. Not thread-safe.
   */
  public CheckpointTimes(ObjectReader reader, Map<ObjectId, Times> memo) {
    this.reader = reader;
    this.memo = memo;
  }

  /**
   * Reads the times of the {@code wanted} checkpoints from the {@code /main} tree. Checkpoints
   * absent from {@code /main} are absent from the result.
   */
  public Map<Long, Times> fromMain(AnyObjectId mainTree, CheckpointSet wanted, ProgressMonitor pm)
      throws IOException {
    Map<Long, Times> out = new HashMap<>();
    if (mainTree == null || wanted.isEmpty()) {
      return out;
    }
    SortedMap<Long, ObjectId> dirs = new CheckpointTrees(reader, null).directories(mainTree);
    pm.beginTask("Reading /main metadata", wanted.size());
    for (int i = 0; i < wanted.size(); i++) {
      long id = wanted.get(i);
      ObjectId dir = dirs.get(id);
      if (dir != null) {
        Times t = memo.get(dir);
        if (t == null) {
          t = readCheckpoint(dir);
          memo.put(dir, t);
        }
        out.put(id, t);
      }
      pm.update(1);
    }
    pm.endTask();
    return out;
  }

  private Times readCheckpoint(ObjectId dir) throws IOException {
    ObjectId summary = null;
    SortedMap<Integer, ObjectId> sessions = new TreeMap<>();
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, dir);
    for (; !p.eof(); p.next()) {
      String name = p.getEntryPathString();
      if (name.equals("metadata.json") && isFile(p)) {
        summary = p.getEntryObjectId();
      } else if (FileMode.TREE.equals(p.getEntryRawMode())) {
        Integer index = sessionIndex(name);
        if (index != null) {
          sessions.put(index, p.getEntryObjectId());
        }
      }
    }
    Map<Integer, Instant> created = new HashMap<>();
    GenerationJson range = null;
    for (Map.Entry<Integer, ObjectId> s : sessions.entrySet()) {
      Instant t = sessionCreatedAt(s.getValue());
      if (t != null) {
        created.put(s.getKey(), t);
        range = GenerationJson.at(t).merge(range);
      }
    }
    Integer last = null;
    Integer count = summary == null ? null : summarySessionCount(summary);
    if (count != null && count > 0) {
      last = count - 1;
    } else if (!sessions.isEmpty()) {
      last = sessions.lastKey();
    }
    return new Times(last == null ? null : created.get(last), range);
  }

  /**
   * Go's {@code strconv.Atoi} accepts what {@link Integer#parseInt} accepts here (signs, leading
   * zeros).
   */
  private static Integer sessionIndex(String name) {
    try {
      return Integer.parseInt(name);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private Instant sessionCreatedAt(ObjectId sessionDir) throws IOException {
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, sessionDir);
    for (; !p.eof(); p.next()) {
      if (p.getEntryPathString().equals("metadata.json") && isFile(p)) {
        String text = blobText(p.getEntryObjectId());
        return text == null ? null : stringTime(text, "created_at");
      }
    }
    return null;
  }

  /**
   * {@code len(sessions)} of a checkpoint summary; null when it is not an array or does not parse.
   */
  private Integer summarySessionCount(ObjectId blob) throws IOException {
    String text = blobText(blob);
    if (text == null) {
      return null;
    }
    Integer[] count = {null};
    try {
      JsonFiles.readObject(
          text,
          (name, value) -> {
            if (name.equals("sessions")) { // the last one wins, as Go's decoder
              count[0] = null;
              if (value.currentToken() == JsonToken.START_ARRAY) {
                int n = 0;
                while (value.nextToken() != JsonToken.END_ARRAY) {
                  value.skipChildren();
                  n++;
                }
                count[0] = n;
              }
            }
          });
    } catch (IllegalArgumentException e) {
      return null; // unreadable metadata counts as missing, as the client's reader
    }
    return count[0];
  }

  /** A blob as text; null when missing or too large to be real metadata. */
  private String blobText(ObjectId blob) throws IOException {
    try {
      ObjectLoader l = reader.open(blob, Constants.OBJ_BLOB);
      if (l.getSize() > MAX_METADATA_BYTES) {
        return null;
      }
      return new String(l.getCachedBytes(), StandardCharsets.UTF_8);
    } catch (MissingObjectException e) {
      return null;
    }
  }

  /**
   * The time in the top-level string member {@code field} of the JSON object {@code text} (the last
   * one when repeated, as Go's decoder); null when the text does not parse, the member is missing
   * or not a string, or holds no RFC 3339 time or Go's zero time.
   */
  private static Instant stringTime(String text, String field) {
    String[] found = {null};
    try {
      JsonFiles.readObject(
          text,
          (name, value) -> {
            if (name.equals(field)) {
              found[0] = JsonFiles.stringOrNull(value);
            }
          });
    } catch (IllegalArgumentException e) {
      return null; // unreadable metadata counts as missing, as the client's reader; §5.3 skips such
      // lines
    }
    Instant t = found[0] == null ? null : GenerationJson.parseTime(found[0]);
    return t == null || t.equals(GenerationJson.GO_ZERO) ? null : t;
  }

  /**
   * The range of transcript event timestamps of one {@code /full/*} checkpoint directory (§5.3);
   * null when no session yields one. Reads the raw transcript blobs, so callers use it only as a
   * fallback.
   */
  public GenerationJson fromTranscripts(AnyObjectId checkpointDir) throws IOException {
    GenerationJson range = null;
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, checkpointDir);
    List<ObjectId> sessions = new ArrayList<>();
    for (; !p.eof(); p.next()) {
      if (FileMode.TREE.equals(p.getEntryRawMode())
          && sessionIndex(p.getEntryPathString()) != null) {
        sessions.add(p.getEntryObjectId());
      }
    }
    for (ObjectId s : sessions) {
      range = merge(range, sessionTranscriptRange(s));
    }
    return range;
  }

  private static GenerationJson merge(GenerationJson a, GenerationJson b) {
    return a == null ? b : a.merge(b);
  }

  private GenerationJson sessionTranscriptRange(ObjectId sessionDir) throws IOException {
    SortedMap<Integer, ObjectId> chunks = new TreeMap<>();
    CanonicalTreeParser p = new CanonicalTreeParser();
    p.reset(reader, sessionDir);
    for (; !p.eof(); p.next()) {
      if (!isFile(p)) {
        continue;
      }
      String name = p.getEntryPathString();
      if (name.equals("raw_transcript")) {
        chunks.put(0, p.getEntryObjectId());
      } else if (name.startsWith("raw_transcript.")) {
        Integer i = sessionIndex(name.substring("raw_transcript.".length()));
        if (i != null && i > 0) {
          chunks.put(i, p.getEntryObjectId());
        }
      }
    }
    if (chunks.isEmpty()) {
      return null;
    }
    List<InputStream> streams = new ArrayList<>();
    for (ObjectId c : chunks.values()) {
      streams.add(reader.open(c, Constants.OBJ_BLOB).openStream());
    }
    GenerationJson range = null;
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(
                new SequenceInputStream(Collections.enumeration(streams)),
                StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isBlank()) {
          continue;
        }
        Instant t = lineTimestamp(line);
        if (t != null) {
          range = GenerationJson.at(t).merge(range);
        }
      }
    }
    return range;
  }

  private static Instant lineTimestamp(String line) {
    return stringTime(line, "timestamp");
  }

  private static boolean isFile(CanonicalTreeParser p) {
    return FileMode.REGULAR_FILE.equals(p.getEntryRawMode())
        || FileMode.EXECUTABLE_FILE.equals(p.getEntryRawMode());
  }
}
