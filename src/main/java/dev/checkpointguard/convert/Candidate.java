package dev.checkpointguard.convert;

import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.JsonFiles;
import dev.checkpointguard.core.RefNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;

/**
 * One copy of a session's raw transcript in one {@code /full/*} ref: its chunk files and its hash
 * file, under the current names ({@code raw_transcript}, {@code raw_transcript.NNN}, {@code
 * raw_transcript_hash.txt}) or the legacy ones of clients {@code v0.5.2}–{@code v0.5.5} ({@code
 * full.jsonl}, {@code full.jsonl.NNN}, {@code content_hash.txt}; spec §12).
 *
 * <p>Reassembly is the client's default ({@code agent.ReassembleJSONL}): the chunks in index order,
 * joined by one {@code \n}. A single chunk is the whole transcript. The hash file holds {@code
 * sha256:<64 hex>} of the reassembled transcript (spec §3.1).
 */
final class Candidate {
  /** Raw and legacy file names. */
  static final String RAW = "raw_transcript";

  static final String RAW_HASH = "raw_transcript_hash.txt";
  static final String LEGACY = "full.jsonl";
  static final String LEGACY_HASH = "content_hash.txt";

  /** How a candidate ended up after verification. */
  enum Status {
    UNCHECKED("not checked"),
    VALID("verified"),
    NO_HASH_FILE("no hash file"),
    BAD_HASH_FILE("hash file is not sha256:<64 hex>"),
    MISMATCH("SHA-256 of the transcript differs from its hash file"),
    MISSING_OBJECT("a chunk or its hash file is missing from the repository"),
    ODD_NAME("unexpected transcript file name");

    final String text;

    Status(String text) {
      this.text = text;
    }
  }

  final String ref;
  final boolean legacy;

  /** Chunk index to (suffix as named: "" for chunk 0, else the 3 digits) and blob. */
  private final TreeMap<Integer, String> suffixes = new TreeMap<>();

  private final TreeMap<Integer, ObjectId> chunks = new TreeMap<>();
  ObjectId hashBlob;
  String oddName;

  Status status = Status.UNCHECKED;

  /** {@code sha256:<hex>} as the hash file says (lowercase), when it parses. */
  String claimed;

  long size = -1;

  Candidate(String ref, boolean legacy) {
    this.ref = ref;
    this.legacy = legacy;
  }

  /**
   * Takes one file of a session directory if it belongs to this naming; true when taken. A name
   * with the base and a suffix that is not exactly 3 digits above 000 is remembered as odd: the
   * client's reader parses such suffixes in its own way ({@code fmt.Sscanf("%03d")}), so the copy
   * is not used.
   */
  boolean offer(String name, ObjectId blob) {
    String base = legacy ? LEGACY : RAW;
    if (name.equals(legacy ? LEGACY_HASH : RAW_HASH)) {
      hashBlob = blob;
      return true;
    }
    if (name.equals(base)) {
      chunks.put(0, blob);
      suffixes.put(0, "");
      return true;
    }
    if (name.startsWith(base + ".")) {
      String s = name.substring(base.length() + 1);
      if (s.length() == 3
          && Character.isDigit(s.charAt(0))
          && Character.isDigit(s.charAt(1))
          && Character.isDigit(s.charAt(2))
          && !s.equals("000")) {
        int i = Integer.parseInt(s);
        chunks.put(i, blob);
        suffixes.put(i, s);
      } else {
        oddName = name;
      }
      return true;
    }
    return false;
  }

  boolean hasChunks() {
    return !chunks.isEmpty();
  }

  boolean isValid() {
    return status == Status.VALID;
  }

  ObjectId firstChunk() {
    return chunks.firstEntry().getValue();
  }

  /**
   * The v1 files: {@code full.jsonl} for chunk 0, {@code full.jsonl.NNN} for the others, same
   * blobs.
   */
  List<Trees.Entry> v1Files() {
    List<Trees.Entry> out = new ArrayList<>(chunks.size());
    for (var e : chunks.entrySet()) {
      String s = suffixes.get(e.getKey());
      out.add(
          Trees.Entry.of(
              s.isEmpty() ? LEGACY : LEGACY + "." + s,
              org.eclipse.jgit.lib.FileMode.REGULAR_FILE,
              e.getValue()));
    }
    return out;
  }

  List<ObjectId> chunkIds() {
    return new ArrayList<>(chunks.values());
  }

  /** Identity of the copy: the same chunk blobs under the same indexes and the same hash blob. */
  String key() {
    StringBuilder b = new StringBuilder();
    chunks.forEach((i, id) -> b.append(i).append(':').append(id.name()).append(','));
    return b.append(hashBlob == null ? "-" : hashBlob.name()).toString();
  }

  /** Reads the hash file; sets {@link #claimed} or a failed status. */
  void readHash(ObjectReader reader) throws IOException {
    if (oddName != null) {
      status = Status.ODD_NAME;
      return;
    }
    if (hashBlob == null) {
      status = Status.NO_HASH_FILE;
      return;
    }
    byte[] b;
    try {
      if (reader.getObjectSize(hashBlob, Constants.OBJ_BLOB) > 1024) {
        status = Status.BAD_HASH_FILE;
        return;
      }
      b = reader.open(hashBlob, Constants.OBJ_BLOB).getCachedBytes();
    } catch (MissingObjectException e) {
      status = Status.MISSING_OBJECT;
      return;
    }
    String s = new String(b, StandardCharsets.UTF_8).strip().toLowerCase(Locale.ROOT);
    if (!isHash(s)) {
      status = Status.BAD_HASH_FILE;
      return;
    }
    claimed = s;
  }

  /** {@code sha256:} and 64 lowercase hex digits. */
  static boolean isHash(String s) {
    if (s.length() != 71 || !s.startsWith("sha256:")) {
      return false;
    }
    for (int i = 7; i < 71; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Streams the chunks through SHA-256 and compares with the hash file; needs {@link #readHash}
   * first.
   */
  void verify(ObjectReader reader) throws IOException {
    if (status != Status.UNCHECKED) {
      return;
    }
    MessageDigest sha = sha256();
    byte[] buf = new byte[64 * 1024];
    long n = 0;
    try (InputStream in = open(reader)) {
      for (int r; (r = in.read(buf)) > 0; ) {
        sha.update(buf, 0, r);
        n += r;
      }
    } catch (MissingObjectException e) {
      status = Status.MISSING_OBJECT;
      return;
    }
    size = n;
    String actual = "sha256:" + HexFormat.of().formatHex(sha.digest());
    status = actual.equals(claimed) ? Status.VALID : Status.MISMATCH;
  }

  /** The reassembled transcript as one stream. */
  InputStream open(ObjectReader reader) throws IOException {
    List<InputStream> parts = new ArrayList<>();
    boolean first = true;
    for (ObjectId id : chunks.values()) {
      if (!first) {
        parts.add(new java.io.ByteArrayInputStream(NEWLINE));
      }
      parts.add(reader.open(id, Constants.OBJ_BLOB).openStream());
      first = false;
    }
    return new SequenceInputStream(Collections.enumeration(parts));
  }

  private static final byte[] NEWLINE = {'\n'};

  /** True when this transcript's bytes are a proper prefix of {@code longer}'s (both verified). */
  boolean isPrefixOf(Candidate longer, ObjectReader reader) throws IOException {
    if (size >= longer.size) {
      return false;
    }
    try (InputStream a = open(reader);
        InputStream b = longer.open(reader)) {
      byte[] x = new byte[64 * 1024];
      byte[] y = new byte[64 * 1024];
      long left = size;
      while (left > 0) {
        int want = (int) Math.min(x.length, left);
        int got = a.readNBytes(x, 0, want);
        int got2 = b.readNBytes(y, 0, got);
        if (got == 0 || got2 != got || !java.util.Arrays.equals(x, 0, got, y, 0, got)) {
          return false;
        }
        left -= got;
      }
      return true;
    }
  }

  /**
   * The latest {@code timestamp} of the transcript's JSON lines (spec §5.3), or null when no line
   * has one.
   */
  Instant latestEvent(ObjectReader reader) throws IOException {
    Instant latest = null;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(open(reader), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        Instant t = lineTime(line);
        if (t != null && (latest == null || t.isAfter(latest))) {
          latest = t;
        }
      }
    }
    return latest;
  }

  private static Instant lineTime(String line) {
    if (line.isBlank()) {
      return null;
    }
    String[] found = {null};
    try {
      JsonFiles.readObject(
          line,
          (name, v) -> {
            if (name.equals("timestamp")) {
              found[0] = JsonFiles.stringOrNull(v);
            }
          });
    } catch (IllegalArgumentException e) {
      return null; // §5.3: lines that do not parse are skipped
    }
    Instant t = found[0] == null ? null : GenerationJson.parseTime(found[0]);
    return t == null || t.equals(GenerationJson.GO_ZERO) ? null : t;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code <ref> (<hash>)} for reports. */
  String describe() {
    return RefNames.shortName(ref)
        + (legacy ? " [full.jsonl names]" : "")
        + (claimed != null ? " (" + claimed.substring(0, 7 + 12) + "…)" : "");
  }
}
