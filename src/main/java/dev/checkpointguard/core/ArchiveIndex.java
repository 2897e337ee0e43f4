package dev.checkpointguard.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Which archived generations of one repository hold which checkpoints: a memo of (archive ref, tip)
 * → the checkpoints of that tip's tree, inverted so that the archives holding a checkpoint are
 * found without reading or even listing every archive. It lets the content rule of spec §10.2 (a)
 * cost what the push drops, not what the server holds.
 *
 * <p>Like {@link CheckpointSetCache} it does no I/O and never goes stale in a way that matters: an
 * entry records that a ref <em>had</em> a tip, and a tip fixes its tree. The policy believes an
 * entry only after {@link ServerRefs#archive} confirms the ref still points there, and drops refs a
 * full listing no longer shows. An index may be incomplete (archives never read, or more
 * checkpoints than its budget): the policy then falls back to the full rule, so the index decides
 * nothing on its own.
 *
 * <p>Memory: 17 to 34 bytes per indexed checkpoint (an open-addressing table of packed ID → archive
 * slot), bounded by a {@link Budget} that may be shared by the indexes of many repositories.
 * Thread-safe.
 */
public final class ArchiveIndex {
  /** An index that remembers nothing: every lookup misses, every put is dropped. */
  public static final ArchiveIndex NONE = closed();

  /** One archive holding one checkpoint, as last seen. */
  public record Holder(long id, String ref, ObjectId tip) {}

  /**
   * Claims about which archives hold which checkpoints that this process did not read itself, e.g.
   * an index file kept in the repository between the short-lived processes of a stock-git hook. A
   * hint is only ever used the way {@link #holders} are: as a place to look first, confirmed by the
   * ref's value and by reading the archive's own tree. A hint never lets the policy skip an archive
   * ({@link #has} and {@link #unindexed} know nothing of hints), so a wrong, stale or tampered hint
   * costs reads, never a verdict.
   */
  public interface Hints {
    /** Holders claimed for the checkpoints in {@code ids}; may be wrong in any way. */
    List<Holder> holders(CheckpointSet ids);
  }

  /**
   * The whole content of an index, ordered by checkpoint ID: entry {@code i} is in archive {@code
   * slots[i]}.
   */
  public record Snapshot(List<String> refs, List<ObjectId> tips, long[] ids, int[] slots) {}

  private static final int EMPTY = 0;
  private static final int TOMBSTONE = -1;

  private final Budget budget;

  /** Archive slot (1-based in {@link #vals}) → ref, tip and number of checkpoints. */
  private final List<String> refs = new ArrayList<>();

  private final List<ObjectId> tips = new ArrayList<>();
  private final List<Integer> sizes = new ArrayList<>();
  private final List<Integer> freeSlots = new ArrayList<>();
  private final Map<String, Integer> slotOf = new HashMap<>();

  private long[] keys = new long[0];
  private int[] vals = new int[0];
  private int used; // live entries
  private int filled; // live entries plus tombstones
  private long held; // checkpoints charged to the budget
  private boolean closed; // dropped by its registry (or NONE): remembers nothing more
  private Hints hints; // null for none
  private long
      changes; // bumped by every put and remove: a memo of unindexed() is valid while it holds
  private Object listingMark; // the server's mark taken before listing was read
  private List<Map.Entry<String, ObjectId>>
      listing; // the last full listing, in ascending name order
  private List<Map.Entry<String, ObjectId>> unindexedMemo;
  private long unindexedAt = -1;

  public ArchiveIndex(Budget budget) {
    this.budget = budget;
  }

  /** True when {@code ref} is indexed at exactly {@code tip}. */
  public synchronized boolean has(String ref, AnyObjectId tip) {
    Integer s = slotOf.get(ref);
    return s != null && tips.get(s).equals(tip);
  }

  /**
   * Adds claims that were not read by this process: {@link #holders} returns them too (after its
   * own entries); nothing else uses them.
   */
  public synchronized void hints(Hints h) {
    this.hints = h;
  }

  /**
   * The last full listing of the server's archives ({@link #listing(Object, List)}), when {@code
   * server} says its archive refs have not changed since; otherwise null (list again). The caller
   * must confirm with {@link ServerRefs#exact} every archive of it that it counts as cover.
   */
  public synchronized List<Map.Entry<String, ObjectId>> listing(ServerRefs server) {
    if (listing == null || listingMark == null || !server.archivesUnchanged(listingMark)) {
      return null;
    }
    return listing;
  }

  /**
   * Remembers a full listing read right after {@code mark} was taken; a null mark remembers
   * nothing.
   */
  public synchronized void listing(Object mark, List<Map.Entry<String, ObjectId>> l) {
    if (closed || mark == null) {
      listingMark = null;
      listing = null;
      return;
    }
    List<Map.Entry<String, ObjectId>> copy = new ArrayList<>(l.size());
    for (Map.Entry<String, ObjectId> e : l) {
      copy.add(Map.entry(e.getKey(), e.getValue().copy()));
    }
    listingMark = mark;
    listing = Collections.unmodifiableList(copy);
  }

  /**
   * The archives of a full listing of the server ({@code listing}, ref → tip) that the index does
   * not know at exactly that tip, in listing order; forgets every archive that the listing no
   * longer shows. One pass, one lock: the rule's last step asks this for every archive on the
   * server.
   */
  public synchronized List<Map.Entry<String, ObjectId>> unindexed(
      List<Map.Entry<String, ObjectId>> listing) {
    if (listing == this.listing && unindexedAt == changes) {
      return new ArrayList<>(
          unindexedMemo); // nothing indexed or forgotten since this listing was checked
    }
    List<Map.Entry<String, ObjectId>> out = new ArrayList<>();
    int known = 0;
    for (Map.Entry<String, ObjectId> e : listing) {
      Integer s = slotOf.get(e.getKey());
      if (s == null) {
        out.add(e);
      } else {
        known++;
        if (!tips.get(s).equals(e.getValue())) {
          out.add(e);
        }
      }
    }
    if (known < slotOf.size()) {
      Set<String> present = new HashSet<>();
      listing.forEach(e -> present.add(e.getKey()));
      retainOnly(present);
    }
    if (listing == this.listing) {
      unindexedMemo = List.copyOf(out);
      unindexedAt = changes;
    }
    return out;
  }

  /** Every entry of the index (never hints), ordered by checkpoint ID. */
  public synchronized Snapshot snapshot() {
    List<String> r = new ArrayList<>();
    List<ObjectId> t = new ArrayList<>();
    int[] renumber = new int[refs.size()];
    for (int slot = 0; slot < refs.size(); slot++) {
      if (refs.get(slot) != null) {
        renumber[slot] = r.size();
        r.add(refs.get(slot));
        t.add(tips.get(slot));
      }
    }
    long[] ids = new long[used];
    int[] slots = new int[used];
    Integer[] order = new Integer[used];
    int[] at = new int[used];
    int n = 0;
    for (int i = 0; i < vals.length; i++) {
      if (vals[i] > 0) {
        at[n++] = i;
      }
    }
    for (int k = 0; k < used; k++) {
      order[k] = k;
    }
    Arrays.sort(order, (a, b) -> Long.compare(keys[at[a]], keys[at[b]]));
    for (int k = 0; k < used; k++) {
      int i = at[order[k]];
      ids[k] = keys[i];
      slots[k] = renumber[vals[i] - 1];
    }
    return new Snapshot(List.copyOf(r), List.copyOf(t), ids, slots);
  }

  /** Number of archives indexed. */
  public synchronized int archives() {
    return slotOf.size();
  }

  /**
   * Every (checkpoint, archive) pair of the index for the checkpoints in {@code ids}, grouped by ID
   * in ascending order, then the {@link Hints} for them. The archives are as last seen: confirm
   * them before believing them.
   */
  public synchronized List<Holder> holders(CheckpointSet ids) {
    List<Holder> out = new ArrayList<>();
    if (used > 0) {
      int mask = keys.length - 1;
      for (int k = 0; k < ids.size(); k++) {
        long id = ids.get(k);
        for (int i = mix(id) & mask; vals[i] != EMPTY; i = (i + 1) & mask) {
          int v = vals[i];
          if (v > 0 && keys[i] == id) {
            out.add(new Holder(id, refs.get(v - 1), tips.get(v - 1)));
          }
        }
      }
    }
    if (hints != null) {
      try {
        out.addAll(hints.holders(ids));
      } catch (RuntimeException e) {
        // a broken source of hints only loses its hints; the rule reads what they would have saved
      }
    }
    return out;
  }

  /**
   * Records that {@code ref} points at {@code tip}, whose tree holds {@code set}; replaces what the
   * index knew about {@code ref}. Dropped silently when the budget cannot take it (the index stays
   * correct, only less complete).
   */
  public synchronized void put(String ref, ObjectId tip, CheckpointSet set) {
    remove(ref);
    changes++;
    if (closed || !budget.take(set.size())) {
      return;
    }
    held += set.size();
    int slot;
    if (freeSlots.isEmpty()) {
      slot = refs.size();
      refs.add(ref);
      tips.add(tip.copy());
      sizes.add(set.size());
    } else {
      slot = freeSlots.remove(freeSlots.size() - 1);
      refs.set(slot, ref);
      tips.set(slot, tip.copy());
      sizes.set(slot, set.size());
    }
    slotOf.put(ref, slot);
    ensureRoom(set.size());
    int mask = keys.length - 1;
    for (int k = 0; k < set.size(); k++) {
      long id = set.get(k);
      int i = mix(id) & mask;
      while (vals[i] > 0) {
        i = (i + 1) & mask;
      }
      if (vals[i] == EMPTY) {
        filled++;
      }
      keys[i] = id;
      vals[i] = slot + 1;
      used++;
    }
  }

  /** Forgets {@code ref}. */
  public synchronized void remove(String ref) {
    Integer s = slotOf.remove(ref);
    if (s == null) {
      return;
    }
    changes++;
    int slot = s;
    int target = slot + 1;
    int n = sizes.get(slot);
    // Archives are removed when an archive moves or is deleted, which is rare: a scan of the table
    // is
    // cheaper in memory than keeping every archive's set a second time.
    for (int i = 0; i < vals.length && n > 0; i++) {
      if (vals[i] == target) {
        vals[i] = TOMBSTONE;
        used--;
        n--;
      }
    }
    budget.give(sizes.get(slot));
    held -= sizes.get(slot);
    refs.set(slot, null);
    tips.set(slot, null);
    sizes.set(slot, 0);
    freeSlots.add(slot);
  }

  /** Forgets every archive whose ref is not in {@code present} (a full listing of the server). */
  public synchronized void retainOnly(Set<String> present) {
    List<String> gone = new ArrayList<>();
    for (String ref : slotOf.keySet()) {
      if (!present.contains(ref)) {
        gone.add(ref);
      }
    }
    gone.forEach(this::remove);
  }

  private static ArchiveIndex closed() {
    ArchiveIndex idx = new ArchiveIndex(new Budget(0));
    idx.closed = true;
    return idx;
  }

  /** Forgets everything, returns the budget, and remembers nothing from now on. */
  synchronized void close() {
    clear();
    closed = true;
  }

  /** Forgets everything and returns the budget. */
  public synchronized void clear() {
    changes++;
    listing = null;
    listingMark = null;
    budget.give(held);
    held = 0;
    refs.clear();
    tips.clear();
    sizes.clear();
    freeSlots.clear();
    slotOf.clear();
    keys = new long[0];
    vals = new int[0];
    used = 0;
    filled = 0;
  }

  /** Grows or cleans the table so that {@code more} entries fit below a load of 0.7. */
  private void ensureRoom(int more) {
    long need = (long) filled + more;
    if (keys.length > 0 && need * 10 <= keys.length * 7L) {
      return;
    }
    int cap = Math.max(1024, keys.length);
    while ((long) (used + more) * 10 > cap * 7L) {
      cap *= 2;
    }
    long[] oldKeys = keys;
    int[] oldVals = vals;
    keys = new long[cap];
    vals = new int[cap];
    filled = used;
    int mask = cap - 1;
    for (int j = 0; j < oldVals.length; j++) {
      if (oldVals[j] > 0) {
        int i = mix(oldKeys[j]) & mask;
        while (vals[i] != EMPTY) {
          i = (i + 1) & mask;
        }
        keys[i] = oldKeys[j];
        vals[i] = oldVals[j];
      }
    }
  }

  private static int mix(long id) {
    long h = id * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 32));
  }

  @Override
  public synchronized String toString() {
    return "ArchiveIndex[" + slotOf.size() + " archives, " + used + " checkpoints]";
  }

  /**
   * How many checkpoints the indexes sharing this budget may hold together. A put that would exceed
   * it is dropped.
   */
  public static final class Budget {
    private final long max;
    private long taken;

    public Budget(long maxCheckpoints) {
      this.max = maxCheckpoints;
    }

    synchronized boolean take(long n) {
      if (taken + n > max) {
        return false;
      }
      taken += n;
      return true;
    }

    synchronized void give(long n) {
      taken -= n;
    }

    /** Checkpoints currently held by all indexes of this budget. */
    public synchronized long taken() {
      return taken;
    }
  }

  /**
   * The indexes of a server process, one per repository key (e.g. {@code
   * Repository.getIdentifier()}), least recently used ones dropped beyond {@code maxRepositories};
   * all share one {@link Budget}.
   */
  public static final class Registry {
    private final int maxRepositories;
    private final Budget budget;
    private final LinkedHashMap<String, ArchiveIndex> map = new LinkedHashMap<>(16, 0.75f, true);

    public Registry(int maxRepositories, long maxCheckpoints) {
      this.maxRepositories = maxRepositories;
      this.budget = new Budget(maxCheckpoints);
    }

    /** The index of repository {@code key}, made empty on first use. */
    public synchronized ArchiveIndex forRepository(String key) {
      ArchiveIndex idx = map.get(key);
      if (idx == null) {
        idx = new ArchiveIndex(budget);
        map.put(key, idx);
        Iterator<Map.Entry<String, ArchiveIndex>> it = map.entrySet().iterator();
        while (map.size() > maxRepositories && it.hasNext()) {
          Map.Entry<String, ArchiveIndex> e = it.next();
          if (e.getValue() != idx) {
            e.getValue().close();
            it.remove();
          }
        }
      }
      return idx;
    }

    public Budget budget() {
      return budget;
    }
  }
}
