package dev.checkpointguard.stock;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.RefNames;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;

/**
 * The archive index of a repository kept on disk between the short-lived JVMs of the stock-git hook
 * ({@code <GIT_DIR>/checkpoint-guard/archive-index}): which archive, at which tip, held which
 * checkpoint when a hook last read it. The hook hands it to the policy as {@link
 * ArchiveIndex.Hints}: places to look first, each confirmed by the ref's current value and by
 * reading that archive's tree. The policy never skips an archive because of a hint, so a wrong,
 * stale, truncated or tampered file costs reads, never a verdict (docs/stock-hook.md, "The archive
 * index file").
 *
 * <p>Format (big-endian): the magic {@code CGAIDX01}; the number of archives A and of entries E
 * (ints); A records of (archive number: long, tip: 20 bytes); the CRC-32 of everything so far
 * (long); E checkpoint IDs in ascending order (longs); E archive positions (ints). The file is
 * memory-mapped and searched in place, so opening it costs the same whatever its size. A file whose
 * header, checksum or length is wrong is ignored (and replaced by the next push that reads
 * archives).
 */
final class ArchiveIndexFile implements ArchiveIndex.Hints {
  static final String DIR = "checkpoint-guard";
  static final String NAME = "archive-index";
  private static final byte[] MAGIC = "CGAIDX01".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = MAGIC.length + 8;
  private static final int ARCHIVE = 8 + Constants.OBJECT_ID_LENGTH;

  private final ByteBuffer buf;
  private final String[] refs;
  private final ObjectId[] tips;
  private final int entries;
  private final int idsAt;
  private final int slotsAt;

  private ArchiveIndexFile(ByteBuffer buf, String[] refs, ObjectId[] tips, int entries, int idsAt) {
    this.buf = buf;
    this.refs = refs;
    this.tips = tips;
    this.entries = entries;
    this.idsAt = idsAt;
    this.slotsAt = idsAt + 8 * entries;
  }

  /**
   * Where the index of the refs under {@code namespacePrefix} ("" for the root) lives: one file per
   * namespace, since each namespace has its own archives.
   */
  static Path path(File gitDir, String namespacePrefix) {
    String name = NAME;
    if (!namespacePrefix.isEmpty()) {
      name += "-" + ObjectId.fromRaw(sha1(namespacePrefix)).name().substring(0, 16);
    }
    return gitDir.toPath().resolve(DIR).resolve(name);
  }

  private static byte[] sha1(String s) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The index in {@code file}; null when it is missing, unreadable or not a well-formed index. */
  static ArchiveIndexFile open(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < HEADER + 8 || size > Integer.MAX_VALUE) {
        return null;
      }
      ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      return parse(b);
    } catch (IOException | RuntimeException e) {
      return null; // missing, unreadable or malformed: the rule reads the archives instead
    }
  }

  /** Parses and checks a whole file; null when it is not a well-formed index. */
  static ArchiveIndexFile parse(ByteBuffer b) {
    if (b.limit() < HEADER + 8) {
      return null;
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (b.get(i) != MAGIC[i]) {
        return null;
      }
    }
    int archives = b.getInt(MAGIC.length);
    int entries = b.getInt(MAGIC.length + 4);
    if (archives < 0 || entries < 0) {
      return null;
    }
    long tableEnd = HEADER + (long) archives * ARCHIVE;
    long expected = tableEnd + 8 + 12L * entries;
    if (expected != b.limit()) {
      return null; // truncated or extended
    }
    CRC32 crc = new CRC32();
    ByteBuffer head = b.duplicate();
    head.position(0).limit((int) tableEnd);
    crc.update(head);
    if (crc.getValue() != b.getLong((int) tableEnd)) {
      return null;
    }
    String[] refs = new String[archives];
    ObjectId[] tips = new ObjectId[archives];
    byte[] raw = new byte[Constants.OBJECT_ID_LENGTH];
    for (int a = 0; a < archives; a++) {
      int at = HEADER + a * ARCHIVE;
      long number = b.getLong(at);
      if (number < 0 || number > RefNames.MAX_ARCHIVE_NUMBER) {
        return null;
      }
      refs[a] = RefNames.archive(number);
      b.get(at + 8, raw);
      tips[a] = ObjectId.fromRaw(raw);
    }
    return new ArchiveIndexFile(b, refs, tips, entries, (int) tableEnd + 8);
  }

  /** Number of archives the file names. */
  int archives() {
    return refs.length;
  }

  /** The tip the file records for each archive it names. */
  Map<String, ObjectId> tips() {
    Map<String, ObjectId> out = new HashMap<>();
    for (int a = 0; a < refs.length; a++) {
      out.putIfAbsent(refs[a], tips[a]);
    }
    return out;
  }

  @Override
  public List<ArchiveIndex.Holder> holders(CheckpointSet ids) {
    List<ArchiveIndex.Holder> out = new ArrayList<>();
    for (int k = 0; k < ids.size(); k++) {
      long id = ids.get(k);
      int lo = 0;
      int hi = entries - 1;
      int found = -1;
      while (lo
          <= hi) { // the first entry with this id (ids may repeat: a checkpoint in two archives)
        int mid = (lo + hi) >>> 1;
        long v = buf.getLong(idsAt + 8 * mid);
        if (v < id) {
          lo = mid + 1;
        } else {
          if (v == id) {
            found = mid;
          }
          hi = mid - 1;
        }
      }
      for (int i = found; i >= 0 && i < entries && buf.getLong(idsAt + 8 * i) == id; i++) {
        int slot = buf.getInt(slotsAt + 4 * i);
        if (slot >= 0 && slot < refs.length) {
          out.add(new ArchiveIndex.Holder(id, refs[slot], tips[slot]));
        }
      }
    }
    return out;
  }

  /**
   * Writes the index of the archives in {@code listing} (the server's archives before the push, ref
   * → tip): for each, what {@code memory} read at that tip, else what {@code old} recorded at that
   * tip, else nothing. Entries for any other tip (the push's own archives, whose objects may still
   * be in quarantine, or archives that moved) are not written. Atomic: a temporary file renamed
   * over the old one.
   */
  static void write(
      Path file, Map<String, ObjectId> listing, ArchiveIndex.Snapshot memory, ArchiveIndexFile old)
      throws IOException {
    Map<String, Integer> slotOf = new HashMap<>();
    List<String> refs = new ArrayList<>();
    List<ObjectId> tips = new ArrayList<>();
    int[] fromMemory = new int[memory.refs().size()];
    for (int s = 0; s < fromMemory.length; s++) {
      String ref = memory.refs().get(s);
      fromMemory[s] = -1;
      if (memory.tips().get(s).equals(listing.get(ref)) && !slotOf.containsKey(ref)) {
        slotOf.put(ref, refs.size());
        fromMemory[s] = refs.size();
        refs.add(ref);
        tips.add(memory.tips().get(s));
      }
    }
    int[] fromOld = new int[old == null ? 0 : old.refs.length];
    for (int s = 0; s < fromOld.length; s++) {
      String ref = old.refs[s];
      fromOld[s] = -1;
      if (old.tips[s].equals(listing.get(ref)) && !slotOf.containsKey(ref)) {
        slotOf.put(ref, refs.size());
        fromOld[s] = refs.size();
        refs.add(ref);
        tips.add(old.tips[s]);
      }
    }
    // both sources are in ascending ID order: merge them
    long[] ids = new long[memory.ids().length + (old == null ? 0 : old.entries)];
    int[] slots = new int[ids.length];
    int n = 0;
    int i = 0;
    int j = 0;
    int oldEntries = old == null ? 0 : old.entries;
    while (i < memory.ids().length || j < oldEntries) {
      long mi = i < memory.ids().length ? memory.ids()[i] : Long.MAX_VALUE;
      long oj = j < oldEntries ? old.buf.getLong(old.idsAt + 8 * j) : Long.MAX_VALUE;
      if (i < memory.ids().length && (j >= oldEntries || mi <= oj)) {
        int s = fromMemory[memory.slots()[i++]];
        if (s >= 0) {
          ids[n] = mi;
          slots[n++] = s;
        }
      } else {
        int os = old.buf.getInt(old.slotsAt + 4 * j++);
        int s = os >= 0 && os < fromOld.length ? fromOld[os] : -1;
        if (s >= 0
            && (n == 0 || ids[n - 1] <= oj)) { // a corrupt old file is not sorted: drop the rest
          ids[n] = oj;
          slots[n++] = s;
        }
      }
    }
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".tmp-archive-index-", ".tmp");
    try {
      try (OutputStream os = Files.newOutputStream(tmp);
          DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, 1 << 16))) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(head);
        h.write(MAGIC);
        h.writeInt(refs.size());
        h.writeInt(n);
        byte[] raw = new byte[Constants.OBJECT_ID_LENGTH];
        for (int a = 0; a < refs.size(); a++) {
          h.writeLong(RefNames.archiveNumber(refs.get(a)));
          tips.get(a).copyRawTo(raw, 0);
          h.write(raw);
        }
        h.flush();
        byte[] bytes = head.toByteArray();
        CRC32 crc = new CRC32();
        crc.update(bytes);
        out.write(bytes);
        out.writeLong(crc.getValue());
        for (int k = 0; k < n; k++) {
          out.writeLong(ids[k]);
        }
        for (int k = 0; k < n; k++) {
          out.writeInt(slots[k]);
        }
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
