package dev.checkpointguard.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.Pack;
import org.eclipse.jgit.internal.storage.file.PackIndex;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.ObjectDatabase;

/**
 * Orders reads of many objects by where their bytes lie: pack by pack, ascending offset within each
 * pack.
 *
 * <p>Reading tens of thousands of small objects (checkpoint trees, {@code metadata.json} blobs) in
 * an order unrelated to the pack (checkpoint ID order, say) makes JGit's window cache load a
 * different part of a large pack for almost every object; in pack order each window is loaded once
 * and read through. The objects a client writes for one checkpoint are stored next to each other,
 * so pack order also keeps one checkpoint's trees and blobs together.
 *
 * <p>Only the pack indexes are consulted (a binary search per object per pack); no object is read.
 * Objects in no pack (loose objects, or a database that is not a file repository) keep their
 * relative order and come after every packed object.
 */
public final class PackOrder {
  private final List<PackIndex> indexes;

  private PackOrder(List<PackIndex> indexes) {
    this.indexes = indexes;
  }

  /** The packs of {@code db} as they are now; a database without pack files orders nothing. */
  public static PackOrder of(ObjectDatabase db) throws IOException {
    List<PackIndex> out = new ArrayList<>();
    if (db instanceof ObjectDirectory dir) {
      Collection<Pack> packs = dir.getPacks();
      for (Pack p : packs) {
        try {
          out.add(p.getIndex());
        } catch (IOException e) {
          // an unreadable index only costs this pack its ordering; reads still go through the
          // reader
        }
      }
    }
    return new PackOrder(out);
  }

  /**
   * {@code items} sorted by where the object {@code id(item)} is stored (a new list; stable for
   * objects that are in no pack).
   */
  public <T> List<T> sort(List<T> items, Function<? super T, ? extends AnyObjectId> id) {
    int n = items.size();
    if (indexes.isEmpty() || n < 2) {
      return new ArrayList<>(items);
    }
    Keyed[] keyed = new Keyed[n];
    for (int i = 0; i < n; i++) {
      keyed[i] = new Keyed(position(id.apply(items.get(i))), i);
    }
    Arrays.sort(keyed); // ties keep the given order
    List<T> out = new ArrayList<>(n);
    for (Keyed k : keyed) {
      out.add(items.get(k.index));
    }
    return out;
  }

  private record Keyed(long key, int index) implements Comparable<Keyed> {
    @Override
    public int compareTo(Keyed o) {
      int c = Long.compare(key, o.key);
      return c != 0 ? c : Integer.compare(index, o.index);
    }
  }

  /**
   * The pack's position in the list above bit 47, the offset below; {@link Long#MAX_VALUE} when in
   * no pack. The pack that held the previous object is asked first: objects sorted together mostly
   * share a pack.
   */
  private long position(AnyObjectId id) {
    int n = Math.min(indexes.size(), 0x7fff);
    int first = lastHit;
    for (int k = 0; k < n; k++) {
      int p = k == 0 ? first : (k <= first ? k - 1 : k);
      long offset = indexes.get(p).findOffset(id);
      if (offset >= 0) {
        lastHit = p;
        return ((long) p << 47) | (offset & ((1L << 47) - 1));
      }
    }
    return Long.MAX_VALUE;
  }

  /** Not shared between threads: a hint only, any value is correct. */
  private int lastHit;
}
